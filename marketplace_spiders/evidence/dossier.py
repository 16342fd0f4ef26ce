"""The dossier of an evidence bundle: one self-contained HTML page a journalist can read offline and attach.

Everything is inline (CSS, the SVG charts, screenshots as ``data:`` URIs) and there is no script, so the page
shows the same thing on any machine, years later, without the network. It is built from what the export read
out of the database and the archive (:class:`DossierInput`); it does no I/O itself.

Every value that comes from a marketplace (titles, descriptions, seller names, characteristics, URLs) is hostile
text: a seller chooses it. The template is rendered by jinja2 with autoescaping on, and the few fragments built
here as markup (highlights, diffs, charts) escape every piece of text they hold before wrapping it; nothing a
seller wrote reaches the page as markup.
"""

from __future__ import annotations

import base64
import difflib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import jinja2
from markupsafe import Markup, escape

TEMPLATE = "dossier.html.j2"
_ENV = jinja2.Environment(loader=jinja2.PackageLoader("marketplace_spiders.evidence", "templates"),
                          autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
WORDS = re.compile(r"\s+|[^\s]+")


@dataclass
class DossierInput:
    """What the dossier shows. Rows are the export's query results (dicts keyed by column name) with the
    archive's record of each added by the export (``record``: warc_record_id, source_warc_file, ...)."""

    listing: dict[str, Any]
    observations: list[dict[str, Any]]
    claims: list[dict[str, Any]]
    descriptions: list[dict[str, Any]]
    sellers: list[dict[str, Any]]
    generated_at: datetime
    window: tuple[datetime | None, datetime | None] = (None, None)
    screenshots: list[dict[str, Any]] = field(default_factory=list)
    """{"run_id", "target_uri", "date", "warc_record_id", "png": bytes}"""
    runs: list[dict[str, Any]] = field(default_factory=list)
    """{"run_id", "tokens": [...], "unsigned": reason | None} of every run that contributed a record"""
    software: str = ""


def highlight(text: str | None, words: list[str]) -> Markup:
    """``text`` escaped, each occurrence of any of ``words`` (case-insensitive) wrapped in ``<mark>``."""
    if not text:
        return Markup("")
    spans: list[tuple[int, int]] = []
    for word in sorted({w for w in words if w}, key=len, reverse=True):
        spans += [(m.start(), m.end()) for m in re.finditer(re.escape(word), text, re.IGNORECASE)]
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, pos = [], 0
    for start, end in merged:
        out.append(str(escape(text[pos:start])))
        out.append(f"<mark>{escape(text[start:end])}</mark>")
        pos = end
    out.append(str(escape(text[pos:])))
    return Markup("".join(out))


def word_diff(old: str | None, new: str | None) -> Markup:
    """What changed from ``old`` to ``new``, word by word: removed words in ``<del>``, added ones in ``<ins>``,
    everything escaped."""
    a, b = WORDS.findall(old or ""), WORDS.findall(new or "")
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(str(escape("".join(a[i1:i2]))))
            continue
        if i2 > i1:
            out.append(f"<del>{escape(''.join(a[i1:i2]))}</del>")
        if j2 > j1:
            out.append(f"<ins>{escape(''.join(b[j1:j2]))}</ins>")
    return Markup("".join(out))


def diff_summary(old: str | None, new: str | None) -> dict[str, list[str]]:
    """The words removed and added from ``old`` to ``new`` (for the manifest and the page's summary line)."""
    a, b = WORDS.findall(old or ""), WORDS.findall(new or "")
    removed, added = [], []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op != "equal":
            removed += ["".join(a[i1:i2]).strip()] if i2 > i1 and "".join(a[i1:i2]).strip() else []
            added += ["".join(b[j1:j2]).strip()] if j2 > j1 and "".join(b[j1:j2]).strip() else []
    return {"removed": removed, "added": added}


def svg_chart(points: list[tuple[datetime, float | None]], label: str, unit: str, step: bool = False) -> Markup:
    """An inline SVG line chart of ``points`` (time, value; None = no value, drawn as a gap and a hollow mark on
    the axis), each point with a ``<title>`` giving its time and value."""
    width, height, left, right, top, bottom = 720, 200, 70, 20, 20, 40
    known = [v for _t, v in points if v is not None]
    if not points:
        return Markup("")
    low, high = (min(known), max(known)) if known else (0.0, 1.0)
    if high == low:
        low, high = low - (abs(low) * 0.1 or 1), high + (abs(high) * 0.1 or 1)
    times = [t.timestamp() for t, _v in points]
    t0, t1 = min(times), max(times)
    span = (t1 - t0) or 1.0

    def x(t: float) -> float:
        return left + (t - t0) / span * (width - left - right) if t1 > t0 else (left + width - right) / 2

    def y(v: float) -> float:
        return top + (high - v) / (high - low) * (height - top - bottom)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" class="chart"><title>{escape(label)}</title>',
             f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" class="axis"/>',
             f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" class="axis"/>']
    for v in (low, high):
        parts.append(f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{escape(_number(v))}</text>')
    for t, anchor in ((min(times), "start"), (max(times), "end")) if t1 > t0 else ((t0, "middle"),):
        stamp = _day(points, t)
        parts.append(f'<text x="{x(t):.1f}" y="{height - bottom + 16}" text-anchor="{anchor}">{escape(stamp)}</text>')
    segment: list[str] = []
    segments: list[list[str]] = []
    previous: float | None = None
    for (_when, value), t in zip(points, times, strict=True):
        if value is None:
            if segment:
                segments.append(segment)
            segment, previous = [], None
            continue
        if step and previous is not None:
            segment.append(f"{x(t):.1f},{y(previous):.1f}")
        segment.append(f"{x(t):.1f},{y(value):.1f}")
        previous = value
    if segment:
        segments.append(segment)
    parts += [f'<polyline points="{" ".join(s)}" class="line"/>' for s in segments if len(s) > 1]
    for (when, value), t in zip(points, times, strict=True):
        tip = f"{when:%Y-%m-%d %H:%M} UTC: {_number(value) + ' ' + unit if value is not None else 'no value'}"
        if value is None:
            parts.append(f'<circle cx="{x(t):.1f}" cy="{height - bottom}" r="4" class="gap">'
                         f'<title>{escape(tip)}</title></circle>')
        else:
            parts.append(f'<circle cx="{x(t):.1f}" cy="{y(value):.1f}" r="4" class="point">'
                         f'<title>{escape(tip)}</title></circle>')
    parts.append(f'<text x="{left}" y="{height - 6}" class="unit">{escape(unit)}</text></svg>')
    return Markup("".join(parts))


def _day(points: list[tuple[datetime, float | None]], t: float) -> str:
    return next(f"{when:%Y-%m-%d}" for when, _v in points if when.timestamp() == t)


def _number(value: float | Decimal | None) -> str:
    if value is None:
        return ""
    return f"{value:,.2f}".replace(",", " ") if float(value) % 1 else f"{value:,.0f}".replace(",", " ")


def png_data_uri(png: bytes) -> str:
    """A ``data:`` URI of PNG bytes (only bytes that start with the PNG signature are embedded)."""
    if not png.startswith(b"\x89PNG\r\n\x1a\n"):
        raise ValueError("not a PNG image")
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _characteristics(raw: str | None) -> list[tuple[str, str]]:
    if not raw:
        return []
    try:
        value = json.loads(raw)
    except ValueError:
        return [("", raw)]
    if isinstance(value, dict):
        return [(str(k), v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)) for k, v in value.items()]
    return [("", json.dumps(value, ensure_ascii=False))]


def text_versions(data: DossierInput) -> list[dict[str, Any]]:
    """The description versions in order, each with its claims highlighted, its characteristics and what
    changed from the previous version."""
    words_by_hash: dict[str, set[str]] = {}
    for obs in data.observations:
        for claim in obs.get("claims") or []:
            words_by_hash.setdefault(obs.get("description_hash") or "", set()).add(claim["matched_text"])
    versions, previous = [], None
    for number, desc in enumerate(data.descriptions, 1):
        words = sorted(words_by_hash.get(desc["description_hash"], set()))
        characteristics = [(highlight(k, words), highlight(v, words)) for k, v in
                           _characteristics(desc.get("characteristics"))]
        versions.append({**desc, "number": number, "highlighted": highlight(desc.get("text"), words),
                         "characteristics_rows": characteristics,
                         "diff": None if previous is None else word_diff(previous.get("text"), desc.get("text")),
                         "changes": None if previous is None else diff_summary(previous.get("text"), desc.get("text")),
                         "characteristics_diff": None if previous is None else word_diff(
                             previous.get("characteristics"), desc.get("characteristics"))
                         if previous.get("characteristics") != desc.get("characteristics") else None})
        previous = desc
    return versions


def title_versions(observations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each distinct title in the order shown, with when it was first and last shown and its title claims."""
    versions: list[dict[str, Any]] = []
    for obs in observations:
        title = obs.get("title")
        if versions and versions[-1]["title"] == title:
            versions[-1]["last_seen"] = obs["observed_at"]
            continue
        words = [c["matched_text"] for c in obs.get("claims") or [] if c.get("field") == "title"]
        versions.append({"title": title, "first_seen": obs["observed_at"], "last_seen": obs["observed_at"],
                         "first_run_id": obs["run_id"], "highlighted": highlight(title, words),
                         "diff": word_diff(versions[-1]["title"], title) if versions else None})
    return versions


def render_dossier(data: DossierInput) -> str:
    """The dossier page (HTML text) of ``data``."""
    price_points = [(o["observed_at"], float(o["price"]) if o.get("price") is not None else None)
                    for o in data.observations]
    stock_points = [(o["observed_at"], float(o["stock_qty"]) if o.get("stock_qty") is not None else None)
                    for o in data.observations]
    currency = next((o["currency"] for o in data.observations if o.get("currency")), "")
    latest = data.observations[-1] if data.observations else {}
    return _ENV.get_template(TEMPLATE).render(
        d=data, latest=latest, price_chart=svg_chart(price_points, "Price over time", currency or "price"),
        stock_chart=svg_chart(stock_points, "Stock over time", "units in stock", step=True),
        versions=text_versions(data), titles=title_versions(data.observations),
        screenshots=[{**s, "uri": png_data_uri(s["png"])} for s in data.screenshots],
        number=_number, when=_when)


def _when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M:%S} UTC" if value else "—"
