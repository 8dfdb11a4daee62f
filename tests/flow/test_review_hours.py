"""The review queue's expected review times (rule S7) on the running platform with a fixed clock: review hours
(09:00-18:00 Monday to Friday in Asia/Shanghai by default) are the only time that counts, an urgent item jumps
the queue with a shorter target, a configured holiday postpones, and `overdue` flips exactly at the expected
time. Only the operator marks an item urgent: no customer dialect has an urgent request (customers ask
support, as UCloud, Tencent and Alibaba tell them to)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core.store import admin
from tests.flow.harness import Platform, running_platform
from tests.keyring import KEYRING

ADMIN_TOKEN = "test-admin-token"
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
SH = ZoneInfo("Asia/Shanghai")


def local(text: str) -> datetime:
    """A Shanghai wall-clock time, `2026-10-12 11:30:00`."""
    return datetime.fromisoformat(text).replace(tzinfo=SH)


# The API's clock: Monday 12 October 2026, 11:30 in Shanghai.
NOW = local("2026-10-12 11:30:00")


@asynccontextmanager
async def platform_at(
    database_url: str, redis_url: str, *, now: datetime = NOW, **settings: Any
) -> AsyncIterator[tuple[Platform, int]]:
    async with running_platform(
        database_url, redis_url, clock=lambda: now.timestamp(), admin_token=ADMIN_TOKEN, **settings
    ) as platform:
        acct = await admin.create_account(platform.db, KEYRING, name="Acme Ltd", kind="organization")
        yield platform, acct.account_id


async def signature(platform: Platform, account_id: int, name: str, submitted: datetime) -> int:
    sign_id = await admin.create_signature(
        platform.db, account_id=account_id, name=name, international=False, approve=False
    )
    # Test setup: when the customer submitted it (the database stamps its own time).
    await platform.db.execute("UPDATE signatures SET submitted_at = $2 WHERE id = $1", sign_id, submitted)
    return sign_id


async def template(platform: Platform, account_id: int, content: str, submitted: datetime) -> int:
    template_id = await admin.create_template(
        platform.db,
        account_id=account_id,
        content=content,
        sms_type=0,
        international=False,
        approve=False,
        name="T " + content[:10],
    )
    await platform.db.execute("UPDATE templates SET submitted_at = $2 WHERE id = $1", template_id, submitted)
    return template_id


async def queue(platform: Platform) -> list[dict[str, Any]]:
    async with platform.http.get(platform.api_url + "/admin/v1/review/queue", headers=AUTH) as resp:
        assert resp.status == 200, await resp.text()
        items: list[dict[str, Any]] = (await resp.json())["items"]
        return items


def expected(items: list[dict[str, Any]]) -> list[tuple[int, datetime, bool]]:
    return [(i["id"], datetime.fromisoformat(i["expected_review_at"]), i["overdue"]) for i in items]


async def test_expected_times_count_review_hours_and_overdue_flips_at_the_time(
    database_url: str, redis_url: str
) -> None:
    async with platform_at(database_url, redis_url) as (platform, acct):
        friday = await signature(platform, acct, "Friday", local("2026-10-09 17:30:00"))
        on_time = await signature(platform, acct, "OnTime", local("2026-10-12 09:30:00"))
        a_second_late = await template(platform, acct, "Code {1}.", local("2026-10-12 09:29:59"))
        before_opening = await signature(platform, acct, "Early", local("2026-10-12 08:59:00"))
        newest = await template(platform, acct, "Order {1} shipped.", local("2026-10-12 11:00:00"))

        items = await queue(platform)
        assert expected(items) == [
            (friday, local("2026-10-12 10:30:00"), True),  # Friday 17:30: 30 min Friday, 90 min Monday
            (before_opening, local("2026-10-12 11:00:00"), True),
            (a_second_late, local("2026-10-12 11:29:59"), True),
            (on_time, local("2026-10-12 11:30:00"), False),  # due exactly now: not yet overdue
            (newest, local("2026-10-12 13:00:00"), False),
        ]
        # Shown in the platform's zone; the age is still from the API's clock.
        assert items[0]["expected_review_at"] == "2026-10-12T10:30:00+08:00"
        assert items[0]["age_s"] == int((NOW - local("2026-10-09 17:30:00")).total_seconds())
        assert all(i["urgent"] is False and i["urgent_at"] is None for i in items)


async def test_an_urgent_item_jumps_the_queue_with_a_shorter_target(
    database_url: str, redis_url: str
) -> None:
    async with platform_at(database_url, redis_url) as (platform, acct):
        old = await signature(platform, acct, "Old", local("2026-10-12 09:00:00"))
        new = await template(platform, acct, "Order {1} shipped.", local("2026-10-12 11:00:00"))
        assert [i["id"] for i in await queue(platform)] == [old, new]

        async with platform.http.post(
            platform.api_url + f"/admin/v1/review/template/{new}/urgent", headers=AUTH
        ) as resp:
            assert resp.status == 200, await resp.text()
        # Test setup: when support marked it urgent (the history is stamped by the database's clock).
        marked = local("2026-10-12 11:10:00")
        await platform.db.execute(
            "UPDATE review_events SET at = $2 WHERE item_kind = 'template' AND item_id = $1", new, marked
        )

        items = await queue(platform)
        assert [i["id"] for i in items] == [new, old]
        assert items[0]["urgent"] is True
        assert datetime.fromisoformat(items[0]["urgent_at"]) == marked
        # 30 minutes of review hours after it was marked, not 2 hours after it was submitted (13:00).
        assert expected(items) == [
            (new, local("2026-10-12 11:40:00"), False),
            (old, local("2026-10-12 11:00:00"), True),
        ]


async def test_urgent_marked_after_closing_is_due_early_next_working_day(
    database_url: str, redis_url: str
) -> None:
    monday_night = local("2026-10-12 20:00:00")
    async with platform_at(database_url, redis_url, now=monday_night) as (platform, acct):
        item = await signature(platform, acct, "Late", local("2026-10-12 17:00:00"))
        async with platform.http.post(
            platform.api_url + f"/admin/v1/review/signature/{item}/urgent", headers=AUTH
        ) as resp:
            assert resp.status == 200
        await platform.db.execute(
            "UPDATE review_events SET at = $2 WHERE item_kind = 'signature' AND item_id = $1",
            item,
            monday_night,
        )
        assert expected(await queue(platform)) == [(item, local("2026-10-13 09:30:00"), False)]


@pytest.mark.parametrize(
    ("holidays", "due", "overdue"),
    [
        ("", "2026-10-12 10:30:00", True),
        ("2026-10-12", "2026-10-13 10:30:00", False),  # Monday off: Tuesday
        ("2026-10-09..2026-10-13", "2026-10-14 11:00:00", False),  # Friday is a holiday too: all of it moves
        ("2026-10-13", "2026-10-12 10:30:00", True),  # a holiday after the time changes nothing
    ],
)
async def test_a_holiday_setting_postpones(
    database_url: str, redis_url: str, holidays: str, due: str, overdue: bool
) -> None:
    async with platform_at(database_url, redis_url, review_holidays=holidays) as (platform, acct):
        item = await signature(platform, acct, "Friday", local("2026-10-09 17:30:00"))
        assert expected(await queue(platform)) == [(item, local(due), overdue)]


async def test_the_review_hours_and_target_settings_are_used(database_url: str, redis_url: str) -> None:
    # Tencent's hours (09:00-21:00 weekdays, 09:00-18:00 at weekends) approximated by a 7-day week to 21:00,
    # and a 1 hour target.
    async with platform_at(
        database_url, redis_url, review_hours="09:00-21:00", review_days="mon-sun", review_target_min=60
    ) as (platform, acct):
        item = await signature(platform, acct, "Friday", local("2026-10-09 20:30:00"))
        assert expected(await queue(platform)) == [(item, local("2026-10-10 09:30:00"), True)]


async def test_a_bad_review_hours_setting_stops_the_api(database_url: str, redis_url: str) -> None:
    bads: list[dict[str, Any]] = [
        {"review_hours": "18:00-09:00"},
        {"review_days": "weekdays"},
        {"review_holidays": "1 Oct"},
    ]
    for bad in bads:
        with pytest.raises(ValueError):
            async with platform_at(database_url, redis_url, **bad):
                pass
