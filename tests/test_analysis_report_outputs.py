"""The report on a history whose listings carry hostile seller text: every output neutralises it.

The database is built like tests/test_analysis_report.py's, through the real staging and ingest path; the
hostile titles and seller names are injected into the rows a spider would have yielded.
"""

from __future__ import annotations

import csv
import html
import re
from html.parser import HTMLParser
from pathlib import Path

import matplotlib
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from test_analysis_views import HistoryBuilder, Listed

from analysis import plots
from analysis.outputs import markdown_text
from analysis.report import write_report
from marketplace_spiders.items import SellerObservation

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SCRIPT_TITLE = ('Кымдан-2 <script>alert("title")</script> <img src=x onerror=alert(1)> '
                '[click](javascript:alert(1)) | **bold** `code` ~~s~~ &amp; \\ $x$')
MATH_SELLER = "Магазин $\\x$"  # mathtext: "Unknown symbol: \x" used to fail the whole report
FORMULA_SELLER = '=HYPERLINK("http://evil.example/","Кымдан")'
FORMULA_CELLS = ["+7 (999) 000-00-00", "-2+3", "@SUM(A1:A2)", "\tTAB", "\rCR"]


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    h = HistoryBuilder(tmp_path_factory.mktemp("hostile") / "history.duckdb")
    sellers = [
        SellerObservation("wildberries", "s1", name=MATH_SELLER, legal_name=MATH_SELLER, inn="2310000000"),
        SellerObservation("wildberries", "s2", name="<b>shop</b>", legal_name=FORMULA_SELLER),
    ]
    sellers += [SellerObservation("wildberries", f"f{i}", name=name, legal_name=name)
                for i, name in enumerate(FORMULA_CELLS)]
    formula_listings = {f"9{i}": Listed("100", seller_id=f"f{i}", title=f"{name} Кымдан-2", seller_name=name)
                        for i, name in enumerate(FORMULA_CELLS)}
    h.run(listed={"1": Listed("7000", title=SCRIPT_TITLE, seller_name=MATH_SELLER),
                  "2": Listed("6800", seller_id="s2", title=FORMULA_SELLER, seller_name="<b>shop</b>"),
                  **formula_listings}, sellers=sellers)
    h.run(listed={"1": Listed("6500", title=SCRIPT_TITLE, seller_name=MATH_SELLER),
                  "2": Listed("6800", seller_id="s2", title=FORMULA_SELLER, seller_name="<b>shop</b>"),
                  **formula_listings})
    return h.db_path


@pytest.fixture(scope="module")
def report_dir(hostile_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out")
    write_report(hostile_db, out)
    return out


def commonmark_unescape(text: str) -> str:
    """What a CommonMark renderer shows for escaped inline text: backslash escapes, then entities."""
    return html.unescape(re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text))


def markdown_rows(md: str, first_columns: list[str]) -> list[list[str]]:
    """The cells (decoded) of the Markdown table whose header starts with ``first_columns``, split on
    unescaped '|'."""
    lines = md.splitlines()
    head = "| " + " | ".join(markdown_text(c) for c in first_columns) + " |"
    start = next(i for i, line in enumerate(lines) if line.startswith(head))
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append([commonmark_unescape(c.strip()) for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]])
    return [rows[0]] + rows[2:]


def test_the_math_seller_name_renders_the_price_figure(report_dir: Path) -> None:
    data = (report_dir / "price_timeline.png").read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 1000
    assert MATH_SELLER in set(pd.read_parquet(report_dir / "price_timeline.parquet")["seller"])


def test_report_md_has_no_raw_html_and_shows_the_text(report_dir: Path) -> None:
    md = (report_dir / "report.md").read_text("utf-8")
    assert re.search(r"<[A-Za-z/!?]", md) is None  # no tag, comment or processing instruction at all
    rows = markdown_rows(md, ["marketplace", "product_id", "watch_products", "title", "seller_name",
                             "seller_legal_name"])  # new_listings
    header, body = rows[0], rows[1:]
    assert all(len(r) == len(header) for r in body)  # a '|' in a title does not add a column
    titles = {r[header.index("title")] for r in body}
    assert SCRIPT_TITLE in titles and FORMULA_SELLER in titles
    sellers = {r[header.index("seller_name")] for r in body}
    assert {MATH_SELLER, "<b>shop</b>"} <= sellers
    # no Markdown construct made by data: links, emphasis, code, math are all escaped
    title_cell = markdown_text(SCRIPT_TITLE)
    assert title_cell in md and "](javascript" not in md and "**bold**" not in md and "$x$" not in md


class TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_report_html_has_no_live_markup_from_data(report_dir: Path) -> None:
    parser = TagCollector()
    parser.feed((report_dir / "report.html").read_text("utf-8"))
    tags = {tag for tag, _ in parser.tags}
    assert tags <= {"html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "table", "thead", "tbody",
                    "tr", "th", "td", "img"}, tags  # no script, no b, no a
    assert not [a for _, attrs in parser.tags for a, _ in attrs if a.startswith("on")]
    cells = set(parser.text)
    assert {SCRIPT_TITLE, MATH_SELLER, "<b>shop</b>", FORMULA_SELLER} <= cells  # shown as text


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def csv_and_parquet(report_dir: Path) -> list[tuple[str, list[dict[str, str]], pa.Table]]:
    names = sorted(p.stem for p in report_dir.glob("*.csv"))
    assert {"new_listings", "price_changes", "price_timeline", "top_sellers", "vanished_listings"} <= set(names)
    return [(n, read_csv(report_dir / f"{n}.csv"), pq.read_table(report_dir / f"{n}.parquet")) for n in names]


def test_csv_text_cells_cannot_be_formulas(report_dir: Path) -> None:
    """In every CSV table, each text cell is its Parquet value with a ' before = + - @ tab CR; other
    cells are the values as written (numbers stay numbers)."""
    for _name, rows, raw in csv_and_parquet(report_dir):
        assert len(rows) == raw.num_rows
        check_cells(rows, raw)


def check_cells(rows: list[dict[str, str]], raw: pa.Table) -> None:
    for field in raw.schema:
        values = raw.column(field.name).to_pylist()
        for row, value in zip(rows, values, strict=True):
            cell = row[field.name]
            if value is not None and field.type in ("string", "large_string"):
                expected = "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
                assert cell == expected, (field.name, value)
            assert cell[:1] not in ("=", "+", "@", "\t", "\r") or field.type not in ("string", "large_string")


def test_csv_formula_cells_are_prefixed_and_numbers_intact(report_dir: Path) -> None:
    titles = {r["title"] for r in read_csv(report_dir / "new_listings.csv")}
    assert "'" + FORMULA_SELLER in titles
    assert {"'" + c + " Кымдан-2" for c in FORMULA_CELLS} <= titles
    changes = read_csv(report_dir / "price_changes.csv")
    assert [(r["product_id"], r["currency"], r["change_abs"]) for r in changes] == [("1", "RUB", "-500.00")]
    text = (report_dir / "price_changes.csv").read_text("utf-8")
    assert ",-500.00," in text and "'-500.00" not in text  # a numeric cell: unquoted, no prefix
    sellers = {r["seller"] for r in read_csv(report_dir / "price_timeline.csv")}
    assert {"'" + c for c in FORMULA_CELLS} | {MATH_SELLER} <= sellers


def test_every_figure_function_draws_data_as_plain_text(tmp_path: Path) -> None:
    """Mathtext and TeX are off inside each figure function whatever the global rcParams say."""
    hostile = [MATH_SELLER, "$\\frac{1", "_hidden", "a\nb\\", FORMULA_SELLER]
    day = pd.Timestamp("2026-01-05")
    prices = pd.DataFrame({"watch_product": ["$\\y$ product"] * len(hostile), "seller": hostile,
                           "currency": "RUB", "day": day, "median_price": 100.0, "listings": 1})
    runs = pd.DataFrame({"marketplace": hostile, "started_at": day, "listed": 1, "blocked_share": 0.1,
                         "failed_share": 0.0})
    with matplotlib.rc_context({"text.usetex": True, "text.parse_math": True}):  # no TeX here: would fail
        for path in (plots.price_timelines(prices, tmp_path / "p.png"),
                     plots.listings_over_time(runs, tmp_path / "l.png"),
                     plots.crawl_health(runs, tmp_path / "c.png")):
            assert path.read_bytes().startswith(PNG_SIGNATURE)


def test_a_label_cannot_hide_from_the_legend_or_break_lines() -> None:
    assert plots.label("_hidden").startswith(" _")
    assert plots.label("a\nb\r\tc") == "a b c"
    assert len(plots.label("x" * 100)) == plots.LABEL_LENGTH
