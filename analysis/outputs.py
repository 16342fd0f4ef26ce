"""The report's output formats, each with the one function that makes a value from data safe in it.

Every value that comes from the database (titles, seller names, URLs, product names, filter values) is
hostile text: a marketplace seller chooses it. So:

* report.md: :func:`markdown_text` — HTML-significant characters become entities (no raw HTML reaches a
  CommonMark renderer) and Markdown punctuation is backslash-escaped (no links, images, emphasis, code,
  math or table breaks made by data); line breaks become spaces.
* report.html: :func:`html_text` — ``html.escape`` with quotes, for text and attribute values alike.
* CSV: :func:`neutralise_formulas` — OWASP's rule for CSV injection: a text cell starting with ``=``,
  ``+``, ``-``, ``@``, tab or carriage return gets a leading ``'`` so a spreadsheet shows it as text.
  Only text columns are touched: numbers (a price change of -500.00) stay numbers. Parquet files keep the
  exact values (typed columns are never evaluated as formulas).
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

# Characters that would start Markdown syntax inside a line (emphasis, code, links and images, tables,
# strikethrough, math, attributes, headings); each is backslash-escaped, which CommonMark allows for any
# ASCII punctuation.
MARKDOWN_PUNCTUATION = frozenset("\\`*_[]()!|~$#{}")
HTML_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
LINE_BREAKS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\u0085]+")
# OWASP CSV injection: cells starting with these are read as formulas by spreadsheets.
FORMULA_START = r"^([=+\-@\t\r])"
TEXT_TYPES = (pa.types.is_string, pa.types.is_large_string, pa.types.is_string_view)


@dataclass
class Section:
    title: str
    text: str
    table: str | None = None  # name of the exported table shown under the text
    image: Path | None = None


@dataclass
class Report:
    title: str
    filters: dict[str, str]
    figures: list[tuple[str, Any]] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


def cell_text(value: object) -> str:
    """A value as display text, before any format's escaping: NULL/NaN as '', 3.0 as '3'."""
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer():
            return str(int(value))
    elif isinstance(value, np.ndarray):  # a list column read through pandas
        return str(value.tolist())
    else:
        missing = pd.isna(value)
        if isinstance(missing, bool | np.bool_) and missing:
            return ""
    return str(value)


def markdown_text(value: object) -> str:
    """Any value as inert CommonMark / GitHub Markdown inline text that renders as the value's text."""
    out = []
    for char in LINE_BREAKS.sub(" ", cell_text(value)):
        if char in HTML_ENTITIES:
            out.append(HTML_ENTITIES[char])
        elif char in MARKDOWN_PUNCTUATION:
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)


def html_text(value: object) -> str:
    """Any value as HTML text or a quoted attribute value."""
    return html.escape(cell_text(value), quote=True)


def neutralise_formulas(table: pa.Table) -> pa.Table:
    """The table with every text cell that a spreadsheet would run as a formula prefixed with ``'``."""
    columns = []
    for column in table.columns:
        kind = column.type
        if pa.types.is_dictionary(kind) and any(t(kind.value_type) for t in TEXT_TYPES):
            column = column.cast(kind.value_type)
            kind = kind.value_type
        if any(t(kind) for t in TEXT_TYPES):
            column = pc.replace_substring_regex(column, pattern=FORMULA_START, replacement=r"'\1",
                                                max_replacements=1)
        columns.append(column)
    return pa.Table.from_arrays(columns, names=table.column_names)


def export_table(out: Path, name: str, table: pa.Table) -> pd.DataFrame:
    """``<name>.parquet`` (exact values) and ``<name>.csv`` (formulas neutralised); returns the raw rows."""
    pq.write_table(table, out / f"{name}.parquet")
    pa_csv.write_csv(neutralise_formulas(table), out / f"{name}.csv")
    return table.to_pandas()


def _html_table(df: pd.DataFrame) -> str:
    head = "".join(f"<th>{html_text(c)}</th>" for c in df.columns)
    rows = ["<tr>" + "".join(f"<td>{html_text(v)}</td>" for v in row) + "</tr>"
            for row in df.itertuples(index=False)]
    return f"<table><thead><tr>{head}</tr></thead><tbody>" + "".join(rows) + "</tbody></table>"


def render_html(report: Report, png_data_uri: Any, rows: int) -> str:
    esc = html_text
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{esc(report.title)}</title>",
        "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto}"
        "table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;padding:2px 6px}"
        "th{background:#eee}</style></head><body>",
        f"<h1>{esc(report.title)}</h1>",
        "<p>" + "; ".join(f"{esc(k)}: {esc(v)}" for k, v in report.filters.items()) + "</p>",
        "<h2>Figures</h2><table>",
        *[f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in report.figures],
        "</table>",
    ]
    for section in report.sections:
        parts.append(f"<h2>{esc(section.title)}</h2><p>{esc(section.text)}</p>")
        if section.image is not None:
            parts.append(f"<img alt='{esc(section.title)}' src='{png_data_uri(section.image)}'>")
        if section.table is not None:
            df = report.tables[section.table]
            parts.append(f"<p>{len(df)} rows; all of them in {esc(section.table)}.csv / .parquet.</p>")
            parts.append(_html_table(df.head(rows)))
    parts.append("</body></html>")
    return "\n".join(parts)


def _markdown_table(df: pd.DataFrame) -> str:
    header = "| " + " | ".join(markdown_text(c) for c in df.columns) + " |"
    rule = "|" + "---|" * len(df.columns)
    body = ["| " + " | ".join(markdown_text(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join([header, rule, *body])


def render_markdown(report: Report, rows: int) -> str:
    md = markdown_text
    lines = [f"# {md(report.title)}", "", "; ".join(f"{md(k)}: {md(v)}" for k, v in report.filters.items()), "",
             "## Figures", "", "| figure | value |", "|---|---|"]
    lines += [f"| {md(k)} | {md(v)} |" for k, v in report.figures]
    for section in report.sections:
        lines += ["", f"## {md(section.title)}", "", md(section.text), ""]
        if section.image is not None:
            lines += [f"![{md(section.title)}]({section.image.name})", ""]
        if section.table is not None:
            df = report.tables[section.table]
            lines += [f"{len(df)} rows; all of them in `{section.table}.csv` / `.parquet`.", "",
                      _markdown_table(df.head(rows))]
    return "\n".join(lines) + "\n"
