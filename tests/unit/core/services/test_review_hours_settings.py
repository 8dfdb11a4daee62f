"""The review-hours settings (S7) as an operator writes them in the environment reach the expected-time rule."""

from __future__ import annotations

from datetime import date, time, timedelta

from core.infra.settings import Settings
from core.services.review import review_hours


def test_defaults_are_weekdays_nine_to_six_two_hours_in_shanghai() -> None:
    hours = review_hours(Settings())
    assert (hours.opens, hours.closes) == (time(9), time(18))
    assert hours.days == frozenset(range(5)) and hours.holidays == frozenset()
    assert hours.target == timedelta(hours=2) and hours.urgent_target == timedelta(minutes=30)
    assert str(hours.zone) == "Asia/Shanghai"


def test_the_environment_sets_them() -> None:
    settings = Settings.from_env(
        {
            "SMS_REVIEW_HOLIDAYS": "2026-10-01,2026-10-02",
            "SMS_REVIEW_WORKDAYS": "2026-09-27",
            "SMS_REVIEW_HOURS": "08:30-21:00",
            "SMS_REVIEW_DAYS": "mon-sat",
            "SMS_REVIEW_TARGET_MIN": "90",
            "SMS_REVIEW_URGENT_TARGET_MIN": "15",
            "SMS_TIMEZONE": "Europe/London",
        }
    )
    hours = review_hours(settings)
    assert hours.holidays == {date(2026, 10, 1), date(2026, 10, 2)}
    assert hours.extra_workdays == {date(2026, 9, 27)}
    assert (hours.opens, hours.closes) == (time(8, 30), time(21))
    assert hours.days == frozenset(range(6))
    assert hours.target == timedelta(minutes=90) and hours.urgent_target == timedelta(minutes=15)
    assert str(hours.zone) == "Europe/London"
