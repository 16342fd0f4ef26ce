"""Which parser produced a row: ``parser_version(slug)``, stamped on every row a run writes.

A run's rows are a *derivation* of its archived responses: the responses are the evidence, the rows are what
the page objects of the day read from them. When a page object is fixed, ``scrapy reparse`` runs the fixed
one over the archive and writes derivation k+1 of the run (``storage/derivations.py``). For an analyst to tell
which code read a given row, every row carries ``parser_version``:

    <package version>+pages.<12 hex>     e.g. 0.1.0+pages.3f2a9c41d0be

where the hex is a sha256 over the source of everything that turns a response body into rows for that
marketplace: its page objects (``marketplaces/<slug>/pages/*.py``), the shared readers every page object
uses (``values/*.py``, ``pages/*.py``), and the code that assembles items from what the page objects read
(the marketplace's ``spider.py``, the shared ``spiders/*.py`` with its one content-merge rule, ``items.py``):
an edit there changes rows as surely as one in a page object. File names (relative to the package) and
contents are hashed, in name order, so the version is the same on every machine with the same code and changes
with any edit that could change a parse (a comment edit changes it too: cheap to reparse, never a wrong "unchanged").
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import metadata
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent
DISTRIBUTION = "dprk-marketplace-monitor"
# Folders (relative to the package) whose *.py sources every marketplace's rows depend on, and single files.
SHARED_READERS = ("values", "pages", "spiders")
SHARED_FILES = ("items.py",)


def package_version() -> str:
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:  # run from a source tree that is not installed
        return "0+unknown"


def parser_sources(slug: str, root: Path = PACKAGE_ROOT) -> list[Path]:
    """The source files whose content decides how ``slug``'s responses are read, in a stable order.

    A ``ValueError`` when ``slug`` has no page objects (a typo must not give a version of the shared readers
    alone)."""
    if not slug or "/" in slug or slug.startswith("."):
        raise ValueError(f"not a marketplace slug: {slug!r}")
    own = sorted((root / "marketplaces" / slug / "pages").glob("*.py"))
    if not own:
        raise ValueError(f"marketplace {slug!r} has no page objects under {root / 'marketplaces' / slug / 'pages'}")
    spider = [path for path in [root / "marketplaces" / slug / "spider.py"] if path.is_file()]
    shared = [path for folder in SHARED_READERS for path in sorted((root / folder).glob("*.py"))]
    return own + spider + shared + [root / name for name in SHARED_FILES if (root / name).is_file()]


def sources_digest(slug: str, root: Path = PACKAGE_ROOT) -> str:
    """sha256 (hex) over the names and contents of ``parser_sources(slug)``."""
    digest = hashlib.sha256(b"dprk-monitor parser v1\0")
    for path in parser_sources(slug, root):
        data = path.read_bytes()
        digest.update(f"{path.relative_to(root).as_posix()}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


@cache
def parser_version(slug: str) -> str:
    """``<package version>+pages.<first 12 hex of sources_digest>``: the version stamped on ``slug``'s rows.

    Cached per process (a crawl computes it once; the sources do not change under a running crawl)."""
    return f"{package_version()}+pages.{sources_digest(slug)[:12]}"
