"""Retry policy shared by carrier sends and customer callbacks."""

from __future__ import annotations


def retry_delay(job_try: int, *, base_s: float, max_s: float) -> float:
    """Exponential backoff: base, 2*base, 4*base, ... capped."""
    return float(min(base_s * 2 ** max(job_try - 1, 0), max_s))
