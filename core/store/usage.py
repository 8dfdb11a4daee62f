"""Usage rollups (usage_daily): what accepted messages cost per account and platform day, written inside the
statements that record and refund the messages, so usage can never drift from the records."""

from __future__ import annotations

from core.store.stats import shard_sql


def add_usage_sql(source: str, *, day_param: str, refund: bool = False) -> str:
    """An INSERT adding the messages of CTE `source` (columns account_id, iso_code, parts, price_minor) to
    their account's usage on the day in `day_param` (a date parameter, in the platform's time zone); with
    `refund`, subtracting them. International is anything outside the Chinese mainland; it is marked
    `monthly` when the account settles international usage monthly (P3), as it does at this moment."""
    sign = "-" if refund else ""
    return f"""
    INSERT INTO usage_daily AS u (account_id, day, international, monthly, shard, messages, parts, amount_minor)
    SELECT s.account_id, {day_param}::date, s.iso_code <> 'CN',
           s.iso_code <> 'CN' AND a.intl_settlement = 'monthly', {shard_sql()},
           {sign}count(*), {sign}sum(s.parts), {sign}sum(s.price_minor::bigint * s.parts)
    FROM {source} s JOIN accounts a ON a.id = s.account_id
    GROUP BY s.account_id, s.iso_code <> 'CN', a.intl_settlement
    ON CONFLICT (account_id, day, international, monthly, shard) DO UPDATE SET
        messages = u.messages + EXCLUDED.messages, parts = u.parts + EXCLUDED.parts,
        amount_minor = u.amount_minor + EXCLUDED.amount_minor"""  # noqa: S608 - fixed fragments
