"""Reasons that make a run ``failed`` whatever its counters say, and a finished run's status.

Any component (the replay middleware on a bad recording, the host breaker when every host is unreachable)
calls ``fail_run(stats, reason)``; ``pipelines.StagingPipeline`` reads ``failed_reasons(stats)`` when it
judges the run, and the ``crawl`` / ``crawlall`` commands read ``run_status(crawler)`` for their exit code.
"""

from __future__ import annotations

from typing import Any

FAILED_REASONS_STAT = "run/failed_reasons"


def fail_run(stats: Any, reason: str) -> None:
    """Mark the current run failed with ``reason`` (each distinct reason kept once, in order)."""
    reasons = list(stats.get_value(FAILED_REASONS_STAT) or [])
    if reason not in reasons:
        reasons.append(reason)
        stats.set_value(FAILED_REASONS_STAT, reasons)


def failed_reasons(stats: Any) -> list[str]:
    return list(stats.get_value(FAILED_REASONS_STAT) or [])


def run_status(crawler: Any) -> str | None:
    """The status the pipeline recorded for the crawler's run, or None when the crawl never got that far
    (e.g. the crawler failed to initialise, or the pipeline is disabled)."""
    try:
        stats = crawler.stats
    except RuntimeError:  # Scrapy: "Crawler.stats is not set yet" when the crawler failed to initialise
        return None
    return stats.get_value("run/status") if stats is not None else None
