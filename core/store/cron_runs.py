"""The record of scheduled-job runs (cron_runs): one row per run, written when it starts and when it ends."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

Db = asyncpg.Connection | asyncpg.Pool


async def start_run(db: Db, job: str, *, trigger: str, now: datetime) -> int:
    run_id: int = await db.fetchval(
        "INSERT INTO cron_runs (job, trigger, started_at) VALUES ($1, $2, $3) RETURNING id", job, trigger, now
    )
    return run_id


async def finish_run(db: Db, run_id: int, *, ok: bool, result: Any, error: str, now: datetime) -> None:
    await db.execute(
        "UPDATE cron_runs SET finished_at = $2, ok = $3, result = $4::jsonb, error = $5 WHERE id = $1",
        run_id,
        now,
        ok,
        json.dumps(result, default=str),
        error[:2000],
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
    rows = await db.fetch(
        """
        SELECT r.* FROM unnest($1::text[]) AS j(job) CROSS JOIN LATERAL (
            SELECT job, trigger, started_at, finished_at, ok, result, error FROM cron_runs
            WHERE job = j.job ORDER BY started_at DESC LIMIT 1
        ) r
        """,
        jobs,
    )
    return {
        r["job"]: LastRun(
            r["job"], r["trigger"], r["started_at"], r["finished_at"], r["ok"],
            json.loads(r["result"]) if r["result"] is not None else None, r["error"],
        )
        for r in rows
    }  # fmt: skip


async def purge_runs(db: Db, *, before: datetime) -> int:
    result: str = await db.execute("DELETE FROM cron_runs WHERE started_at < $1", before)
    return int(result.split()[-1])
