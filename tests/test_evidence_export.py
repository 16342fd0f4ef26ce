"""`scrapy evidence export`: the bundled Wildberries timeline replayed through the real spider into a real DuckDB
file and evidence archive, each run packaged and signed by a real local RFC 3161 authority (openssl), then one
DPRK listing (201111001: Kumdang-2, price 6990 -> 5990, an anti-tumour claim added in the third run) exported.

The bundle's records are checked against the database (record ids, payload digests == response_sha256) and the
runs' own records indexes (raw member bytes); bad input (unknown listing, empty window, records not archived,
a run not packaged, an archive file missing or damaged) fails naming what is missing and leaves no bundle.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import zipfile
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest
from crawl_process import WB_RUNS, replay
from tsa_server import TsaAuthority
from warcio.archiveiterator import ArchiveIterator
from warcio.warcwriter import WARCWriter

from marketplace_spiders.evidence import export, export_records, package
from marketplace_spiders.evidence.export import ExportError, ExportRequest

LISTING = "201111001"
PAGE = f"https://www.wildberries.ru/catalog/{LISTING}/detail.aspx"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def add_screenshot(run_folder: Path, page_url: str) -> bytes:
    """A screenshots WARC as a live browser run writes it (warcinfo + a ``resource`` record
    ``urn:screenshot:<page url>``, image/png, sha256 digests); returns the PNG."""
    run_id = run_folder.name
    with open(run_folder / f"{run_id}-screenshots-00000.warc.gz", "wb") as handle:
        writer = WARCWriter(handle, gzip=True, warc_version="1.1")
        writer.write_record(writer.create_warcinfo_record(handle.name, {"run-id": run_id}))
        digest = "sha256:" + hashlib.sha256(PNG).hexdigest()
        writer.write_record(writer.create_warc_record(
            f"urn:screenshot:{page_url}", "resource", payload=io.BytesIO(PNG), length=len(PNG),
            warc_content_type="image/png",
            warc_headers_dict={"WARC-Payload-Digest": digest, "WARC-Block-Digest": digest,
                               "WARC-Date": "2026-11-01T06:00:00.000000Z"}))
    return PNG


@pytest.fixture(scope="module")
def timeline(tmp_path_factory):
    """(db, evidence root, TSA) after the three recorded runs, each packaged and signed by the crawl itself at
    run end (EVIDENCE_TSA_URLS = a local authority); run 1 also has a screenshot of the listing's page, packaged
    and signed afterwards as its own package (as a live browser run's would be)."""
    folder = tmp_path_factory.mktemp("export")
    db = folder / "timeline.duckdb"
    tsa = TsaAuthority(folder / "tsa")
    root = folder / "timeline.duckdb.evidence"
    with tsa.serve() as url:
        for run in ("run-1", "run-2", "run-3"):
            result = replay(WB_RUNS / run, db, f"EVIDENCE_TSA_URLS={url}")
            assert result.returncode == 0, result.stderr[-2000:]
        runs = sorted((root / "wildberries").iterdir())
        assert len(runs) == 3 and all(package.packaged(r) for r in runs)
        add_screenshot(runs[0], PAGE)
        package.package_run(runs[0], SimpleNamespace(tsa_urls=[url], tsa_timeout=10.0))
    assert rows(db, "SELECT count(*) FROM crawl_runs WHERE evidence_tokens = 1") == [(3,)]
    return db, root, tsa


@pytest.fixture(scope="module")
def bundle(timeline, tmp_path_factory):
    db, _root, _tsa = timeline
    out = tmp_path_factory.mktemp("bundle") / "kumdang"
    assert export.export_listing(ExportRequest(db=db, marketplace="wildberries", product_id=LISTING, out=out)) == out
    return out


def rows(db: Path, sql: str, *params) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def read_listing(db: Path, since=None, until=None) -> export.ListingRows:
    with duckdb.connect(str(db), read_only=True) as con:
        return export.read_listing(con, "wildberries", LISTING, since, until)


def copy_archive(timeline, tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the database and its evidence root that a test may damage."""
    db, root, _tsa = timeline
    shutil.copyfile(db, tmp_path / db.name)
    shutil.copytree(root, tmp_path / root.name)
    return tmp_path / db.name, tmp_path / root.name


def export_fails(db: Path, out: Path, match: str, **request) -> str:
    with pytest.raises(ExportError, match=match) as caught:
        export.export_listing(ExportRequest(db=db, marketplace="wildberries", product_id=LISTING, out=out, **request))
    assert not out.exists() and not list(out.parent.glob(f".{out.name}.partial-*")), "a half-written bundle is left"
    return str(caught.value)


# ---------------------------------------------------------------------------- what the database says


def test_observations_with_price_stock_seller_identity_and_verdict(timeline):
    got = read_listing(timeline[0]).observations
    assert [(o["observed_at"].day, o["price"], o["stock_qty"], o["verdict"]) for o in got] == [
        (1, Decimal("6990.00"), 14, "strong"), (8, Decimal("5990.00"), 9, "strong"),
        (15, Decimal("5990.00"), 6, "strong")]
    assert {(o["seller_legal_name"], o["seller_inn"], o["seller_ogrn"]) for o in got} == {
        ("ООО «Восточный Бальзам»", "7701234560", "1207700123454")}
    # run 2 did not fetch the seller again: its identity is the latest earlier one, and says which run that was
    assert got[1]["seller_run_id"] == got[0]["run_id"] and got[2]["seller_run_id"] == got[2]["run_id"]
    assert [c["matched_text"] for c in got[2]["claims"] if c["category"] == "cancer"] == ["Противоопухолевое"]
    assert not [c for c in got[0]["claims"] if c["category"] == "cancer"]
    assert {o["derivation"] for o in got} == {0}  # read by the crawl itself, not a reparse


def test_claims_first_and_last_seen_and_text_versions(timeline):
    listing = read_listing(timeline[0])
    cancer = [c for c in listing.claims if c["category"] == "cancer"]
    assert [(c["matched_text"], c["first_seen"].day, c["last_seen"].day, c["observations"]) for c in cancer] == [
        ("Противоопухолевое", 15, 15, 1)]
    assert [(d["first_shown"].day, d["last_shown"].day, d["observations"]) for d in listing.descriptions] == [
        (1, 8, 2), (15, 15, 1)]
    assert "Противоопухолевое" in listing.descriptions[1]["text"] and "Противоопухолевое" not in \
        listing.descriptions[0]["text"]


def test_the_window_bounds_the_observations(timeline):
    db = timeline[0]
    since, until = export.parse_when("2026-11-08"), export.parse_when("2026-11-08", end=True)
    assert [o["observed_at"].day for o in read_listing(db, since=since).observations] == [8, 15]
    assert [o["observed_at"].day for o in read_listing(db, until=until).observations] == [1, 8]
    assert export.parse_when("2026-11-08T09:00+03:00") == datetime(2026, 11, 8, 6, 0)
    with pytest.raises(ExportError, match="--since 'last week' is not a date"):
        export.parse_when("last week")


# ---------------------------------------------------------------------------- the bundle


def bundle_records(bundle: Path) -> dict[str, dict]:
    """record id -> payload digest, raw member sha256, type, export file and offset of every record in
    evidence.wacz, read with warcio (block and payload digests checked: a mismatch raises)."""
    found = {}
    with zipfile.ZipFile(bundle / "evidence.wacz") as wacz:
        for name in (n for n in wacz.namelist() if n.startswith("archive/")):
            data = wacz.read(name)
            stream = ArchiveIterator(io.BytesIO(data), check_digests="raise")
            for record in stream:
                record.content_stream().read()
                assert record.digest_checker.passed is not False, record.digest_checker.problems
                start, length = stream.get_record_offset(), stream.get_record_length()
                found[record.rec_headers.get_header("WARC-Record-ID")] = {
                    "payload": record.rec_headers.get_header("WARC-Payload-Digest"), "file": name,
                    "member_sha256": hashlib.sha256(data[start:start + length]).hexdigest(),
                    "type": record.rec_type, "offset": start}
    return found


def test_every_observation_is_backed_by_its_original_record(timeline, bundle):
    db = timeline[0]
    manifest = json.loads((bundle / "manifest.json").read_text("utf-8"))
    records = bundle_records(bundle)
    db_rows = rows(db, "SELECT o.run_id, o.response_sha256, f.warc_record_id FROM listing_observations o "
                       "JOIN fetches f ON f.run_id = o.run_id AND f.response_sha256 = o.response_sha256 "
                       "WHERE o.product_id = ? ORDER BY o.observed_at", LISTING)
    assert len(manifest["observations"]) == len(db_rows) == 3
    for obs, (run_id, sha256, record_id) in zip(manifest["observations"], db_rows, strict=True):
        assert (obs["run_id"], obs["response_sha256"], obs["warc_record_id"]) == (run_id, sha256, record_id)
        assert records[record_id]["payload"] == f"sha256:{sha256}"
        assert obs["export_warc_file"] == records[record_id]["file"] == f"archive/{run_id}.warc.gz"
    # the seller and description records too, and each run's warcinfo
    seller_ids = {o["seller_warc_record_id"] for o in manifest["observations"]}
    assert len(seller_ids) == 2 and seller_ids <= set(records)
    assert sum(r["type"] == "warcinfo" for r in records.values()) == 4  # 3 runs + run 1's screenshots file
    for entry in manifest["records"]:
        assert records[entry["warc_record_id"]]["member_sha256"] == entry["member_sha256"]
        assert records[entry["warc_record_id"]]["offset"] == entry["export_offset"]


def test_record_bytes_are_those_of_the_runs_signed_index(timeline, bundle):
    manifest = json.loads((bundle / "manifest.json").read_text("utf-8"))
    for run in manifest["runs"]:
        proofs = bundle / run["proofs"]
        index = {json.loads(line)["record_id"]: json.loads(line) for line in
                 (proofs / "records.jsonl").read_text("utf-8").splitlines()}
        datapackage = json.loads((proofs / "datapackage.json").read_bytes())
        listed = {r["path"]: r["hash"] for r in datapackage["resources"]}
        assert listed["logs/records.jsonl"] == "sha256:" + hashlib.sha256((proofs / "records.jsonl").read_bytes()
                                                                         ).hexdigest()
        assert run["datapackage_sha256"] == hashlib.sha256((proofs / "datapackage.json").read_bytes()).hexdigest()
        assert len(run["tokens"]) == 1 and (proofs / run["tokens"][0]["file"]).read_bytes()[:1] == b"\x30"
        for entry in (e for e in manifest["records"] if e["run_id"] == run["run_id"] and not e["screenshot"]):
            assert index[entry["warc_record_id"]]["member_sha256"] == entry["member_sha256"]


def test_the_dossier_shows_the_timeline_claims_seller_and_screenshot(bundle):
    page = (bundle / "dossier.html").read_text("utf-8")
    manifest = json.loads((bundle / "manifest.json").read_text("utf-8"))
    for point in ("2026-11-01 06:00 UTC: 6 990 RUB", "2026-11-08 06:00 UTC: 5 990 RUB",
                  "2026-11-15 06:00 UTC: 5 990 RUB"):
        assert point in page
    assert "<mark>Противоопухолевое</mark>" in page and "ООО «Восточный Бальзам»" in page and "7701234560" in page
    for obs in manifest["observations"]:
        assert obs["warc_record_id"].replace("<", "&lt;").replace(">", "&gt;") in page
    assert page.count("data:image/png;base64,") == 1  # run 1's screenshot of the page
    assert "scrapy evidence verify" in page
    shots = [r for r in manifest["records"] if r["screenshot"] and r["type"] == "resource"]
    assert [(s["target_uri"], s["payload_sha256"]) for s in shots] == [
        (f"urn:screenshot:{PAGE}", hashlib.sha256(PNG).hexdigest())]


def test_manifest_csv_has_one_row_per_observation_and_lists_every_file(bundle):
    lines = (bundle / "manifest.csv").read_text("utf-8").splitlines()
    assert lines[0].startswith("run_id,observed_at,") and len(lines) == 4
    manifest = json.loads((bundle / "manifest.json").read_text("utf-8"))
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((bundle / name).read_bytes()).hexdigest() == digest, name
    assert "evidence.wacz" in manifest["files"] and "dossier.html" in manifest["files"]


def test_csv_cells_written_by_sellers_are_not_formulas(tmp_path):
    manifest = {"observations": [{"title": '=HYPERLINK("http://x","y")', "seller_name": "@SUM(A1)",
                                  "price": "-5.00", "claims": [{"category": "c", "matched_text": "+7", "field": "t"}]}]}
    export.write_manifest(tmp_path, manifest)
    text = (tmp_path / "manifest.csv").read_text("utf-8")
    assert "'=HYPERLINK" in text and "'@SUM(A1)" in text and "'-5.00" in text


# ---------------------------------------------------------------------------- bad input


def test_unknown_listing_is_an_error_and_writes_nothing(timeline, tmp_path, capsys):
    out = tmp_path / "b"
    opts = SimpleNamespace(marketplace="wildberries", product_id="999", out=str(out), db=str(timeline[0]),
                           since=None, until=None)
    assert export.main(opts) == 1
    assert "no listing wildberries 999 in the database" in capsys.readouterr().err
    assert not out.exists()


def test_a_window_without_observations_is_an_error(timeline, tmp_path):
    message = export_fails(timeline[0], tmp_path / "b", "none in the window",
                           since=export.parse_when("2027-01-01"))
    assert "has 3 observation(s)" in message


def test_an_existing_folder_is_not_overwritten(timeline, tmp_path):
    out = tmp_path / "b"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(ExportError, match="exists and is not an empty folder"):
        export.export_listing(ExportRequest(db=timeline[0], marketplace="wildberries", product_id=LISTING, out=out))
    assert (out / "notes.txt").read_text() == "mine"


def test_observations_without_an_archived_record_are_named(timeline, tmp_path):
    db, _root = copy_archive(timeline, tmp_path)
    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE fetches SET warc_file = NULL WHERE page_type = 'detail' AND fetched_at < '2026-11-02'")
    message = export_fails(db, tmp_path / "b", "no archived record of observation of 2026-11-01 06:00:00")
    assert "--since" in message
    # the archived part can still be exported
    out = tmp_path / "later"
    export.export_listing(ExportRequest(db=db, marketplace="wildberries", product_id=LISTING, out=out,
                                        since=export.parse_when("2026-11-08")))
    assert len(json.loads((out / "manifest.json").read_text("utf-8"))["observations"]) == 2


def test_a_missing_package_is_named(timeline, tmp_path):
    db, root = copy_archive(timeline, tmp_path)
    run = sorted((root / "wildberries").iterdir())[1]
    (run / f"{run.name}.wacz").unlink()
    message = export_fails(db, tmp_path / "b", run.name)
    assert f"{run.name}.wacz" in message


def test_an_unpackaged_run_is_refused_with_the_command_that_fixes_it(timeline, tmp_path):
    db, root = copy_archive(timeline, tmp_path)
    run = sorted((root / "wildberries").iterdir())[2]
    (run / f"{run.name}.wacz.json").unlink()
    export_fails(db, tmp_path / "b", rf"run {run.name} is not packaged .*scrapy evidence package --run {run.name}")


def test_a_damaged_record_is_refused(timeline, tmp_path):
    db, root = copy_archive(timeline, tmp_path)
    (record_id, warc_file, offset, length), = rows(
        db, "SELECT f.warc_record_id, f.warc_file, f.warc_offset, f.warc_length FROM listing_observations o JOIN "
            "fetches f ON f.run_id = o.run_id AND f.response_sha256 = o.response_sha256 WHERE o.product_id = ? "
            "ORDER BY o.observed_at LIMIT 1", LISTING)
    from marketplace_spiders.evidence.store import package_of, read_member

    member = read_member(root, warc_file, offset, length)
    wacz = package_of(root, warc_file)
    data = bytearray(wacz.read_bytes())
    at = data.find(member) + length // 2
    data[at] ^= 0x01
    wacz.write_bytes(bytes(data))
    export_fails(db, tmp_path / "b", f"record {record_id} .* do not match the run's records index")


def test_a_database_from_before_the_archive_is_refused(timeline, tmp_path):
    db, _root = copy_archive(timeline, tmp_path)
    with duckdb.connect(str(db)) as con:
        con.execute("ALTER TABLE fetches DROP COLUMN warc_file")
    export_fails(db, tmp_path / "b", "no evidence pointers")


# ---------------------------------------------------------------------------- a third party's check


def test_verify_passes_on_the_bundle_and_fails_after_one_flipped_byte(timeline, bundle, tmp_path, capsys):
    from marketplace_spiders.evidence import verify

    _db, _root, tsa = timeline
    report = verify.verify(bundle, tsa.root_pem)
    assert report.ok, report.render()
    assert verify.main(SimpleNamespace(path=str(bundle), tsa_roots=str(tsa.root_pem))) == 0
    damaged = tmp_path / "damaged"
    shutil.copytree(bundle, damaged)
    manifest = json.loads((damaged / "manifest.json").read_text("utf-8"))
    record = next(r for r in manifest["records"] if "observation" in r["roles"])
    with zipfile.ZipFile(damaged / "evidence.wacz") as wacz:
        member = wacz.read(record["export_warc_file"])[record["export_offset"]:][:record["export_length"]]
    data = bytearray((damaged / "evidence.wacz").read_bytes())
    data[data.find(member) + len(member) // 2] ^= 0x01
    (damaged / "evidence.wacz").write_bytes(bytes(data))
    report = verify.verify(damaged, tsa.root_pem)
    assert not report.ok
    assert record["warc_record_id"] in report.render()
    assert verify.main(SimpleNamespace(path=str(damaged), tsa_roots=str(tsa.root_pem))) == 1


def test_generated_at_is_utc_now(bundle):
    manifest = json.loads((bundle / "manifest.json").read_text("utf-8"))
    generated = datetime.strptime(manifest["generated_at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    assert abs((datetime.now(UTC) - generated).total_seconds()) < 600


# ---------------------------------------------------------------------------- hostile seller text, end to end

HOSTILE_TITLE = ('=HYPERLINK("http://x.invalid") Кымдан-2 </textarea><script>alert(1)</script>'
                 "<img src=x onerror=alert(2)>")
HOSTILE_DESCRIPTION = "</div></body><script src=//x.invalid/a.js></script> Кымдан-2 укрепляет иммунитет."


def test_a_hostile_title_and_description_stay_inert_in_the_bundle(tmp_path):
    from crawl_process import copy_run
    from test_evidence_dossier import tags_of

    recording = copy_run(tmp_path, "run-1")
    detail = json.loads((recording / "bodies" / "detail.json").read_text("utf-8"))
    (product,) = [p for p in detail["products"] if str(p["id"]) == LISTING]
    product["name"] = HOSTILE_TITLE
    (recording / "bodies" / "detail.json").write_text(json.dumps(detail, ensure_ascii=False), "utf-8")
    card = json.loads((recording / "bodies" / f"card-{LISTING}.json").read_text("utf-8"))
    card["description"] = HOSTILE_DESCRIPTION
    (recording / "bodies" / f"card-{LISTING}.json").write_text(json.dumps(card, ensure_ascii=False), "utf-8")
    db = tmp_path / "hostile.duckdb"
    result = replay(recording, db, "EVIDENCE_PACKAGE=False")
    assert result.returncode == 0, result.stderr[-2000:]
    for run_folder in (tmp_path / "hostile.duckdb.evidence" / "wildberries").iterdir():
        package.package_run(run_folder, SimpleNamespace(tsa_urls=[], tsa_timeout=5.0))
    out = tmp_path / "bundle"
    export.export_listing(ExportRequest(db=db, marketplace="wildberries", product_id=LISTING, out=out))
    page = (out / "dossier.html").read_text("utf-8")
    assert [t for t, _a in tags_of(page) if t in ("script", "img", "textarea")] == []
    assert not [a for _t, a in tags_of(page) if any(k.startswith("on") for k in a)]
    assert "&lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;script src=//x.invalid/a.js&gt;" in page
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert manifest["observations"][0]["title"] == HOSTILE_TITLE  # the manifest keeps the exact text
    with open(out / "manifest.csv", encoding="utf-8", newline="") as handle:
        import csv

        (row,) = list(csv.DictReader(handle))
    assert row["title"] == "'" + HOSTILE_TITLE  # a spreadsheet shows it as text, not a formula


def test_a_missing_archive_is_named_and_evidence_dir_finds_a_moved_one(timeline, tmp_path):
    db, root = copy_archive(timeline, tmp_path)
    moved = tmp_path / "elsewhere"
    root.rename(moved)
    message = export_fails(db, tmp_path / "b", "the archive of run wildberries-20261101")
    assert f"no evidence archive at {root}" in message
    out = tmp_path / "found"
    export.export_listing(ExportRequest(db=db, marketplace="wildberries", product_id=LISTING, out=out,
                                        evidence_dir=str(moved)))
    assert (out / "evidence.wacz").is_file()


def test_write_wacz_lists_the_product_pages_for_a_viewer(bundle, tmp_path):
    manifest = json.loads((bundle / "manifest.json").read_text("utf-8"))
    record = next(r for r in manifest["records"] if "observation" in r["roles"])
    with zipfile.ZipFile(bundle / "evidence.wacz") as wacz:
        warc = tmp_path / Path(record["export_warc_file"]).name
        warc.write_bytes(wacz.read(record["export_warc_file"]))
    page = {"url": record["target_uri"], "ts": record["date"], "title": "wildberries 201111001 observed"}
    export_records.write_wacz([warc], tmp_path / "pages.wacz", "t", [page])
    with zipfile.ZipFile(tmp_path / "pages.wacz") as wacz:
        lines = [json.loads(line) for line in wacz.read("pages/pages.jsonl").splitlines()]
    assert [(p["url"], p["title"]) for p in lines[1:]] == [(record["target_uri"], "wildberries 201111001 observed")]
