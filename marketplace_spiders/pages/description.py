"""One description-version key for every marketplace."""

from __future__ import annotations

import hashlib
import json


def description_hash(description: str | None, characteristics: dict[str, str]) -> str:
    """sha256 over a description text and its characteristics (canonical JSON); key of ``descriptions``."""
    canonical = json.dumps(
        {"description": description or "", "characteristics": characteristics},
        ensure_ascii=False,
        sort_keys=True,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
