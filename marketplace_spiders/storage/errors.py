"""Errors of the storage component (no imports of the rest of it, so every module can raise them)."""

from __future__ import annotations


class DatabaseLocked(RuntimeError):
    """The database file stayed locked by another process until the deadline."""


class DatabaseUnreadable(RuntimeError):
    """The database file exists but DuckDB cannot read it (truncated, corrupted, not a DuckDB file)."""


class HistoryUnavailable(RuntimeError):
    """A crawl cannot know its tracked listings: the database is locked and no snapshot of it exists."""


def is_lock_error(exc: Exception) -> bool:
    text = str(exc)
    return "lock" in text.lower() and ("Could not set lock" in text or "Conflicting lock" in text)
