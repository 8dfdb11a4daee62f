"""The record of scheduled-job runs (cron_runs): one row per run, written when it starts and when it ends."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from core.store import queries

Db = asyncpg.Connection | asyncpg.Pool


async def start_run(db: Db, job: str, *, trigger: str, now: datetime) -> int:
    run_id: int = await queries.fetchval(db, "start_run", job=job, trigger=trigger, now=now)
    return run_id


async def finish_run(db: Db, run_id: int, *, ok: bool, result: Any, error: str, now: datetime) -> None:
    await queries.execute(
        db,
        "finish_run",
        run_id=run_id,
        now=now,
        ok=ok,
        result=json.dumps(result, default=str),
        error=error[:2000],
    )


@dataclass(frozen=True)
class LastRun:
    job: str
    trigger: str
    started_at: datetime
    finished_at: datetime | None
    ok: bool | None
    result: Any
    error: str

    def to_json(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in self.__dict__.items()}


async def last_runs(db: Db, jobs: list[str]) -> dict[str, LastRun]:
    """Each job's latest run (one index probe per job)."""
    rows = await queries.fetch(db, "last_runs", jobs=jobs)
    return {
        r["job"]: LastRun(
            r["job"], r["trigger"], r["started_at"], r["finished_at"], r["ok"],
            json.loads(r["result"]) if r["result"] is not None else None, r["error"],
        )
        for r in rows
    }  # fmt: skip


async def purge_runs(db: Db, *, before: datetime) -> int:
    result = await queries.execute(db, "purge_runs", before=before)
    return int(result.split()[-1])
