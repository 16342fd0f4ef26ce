"""`scrapy evidence du|prune|package` (evidence.disk) on real archives: the runs are real `scrapy crawl` replays of the
bundled Wildberries recording into a temporary database, plus an "all blocked" recording made from it here (every
search answered HTTP 429, so the run stores no row), plus a browser-like run with a screenshot written by the real
EvidenceArchive, packaged by package_run and signed by a real local RFC 3161 authority (tests/tsa_server.py).

What must never happen is checked on real files: the archive of a run with rows is never deleted, a run the
database does not know is never touched, a dry run deletes nothing, every deletion is in prune.log, and a run whose
screenshots were pruned still verifies.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest
from crawl_process import ROOT, SCRAPY, WB_RUNS, query, replay
from tsa_server import TsaAuthority

from marketplace_spiders.evidence.archive import EvidenceArchive
from marketplace_spiders.evidence.disk import PRUNE_LOG, human
from marketplace_spiders.evidence.package import package_run, warc_groups
from marketplace_spiders.storage import run_owner

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 4096
SHOT_RUN = "wildberries-20261001T080000Z-5c4ee45a"
RENDERED = b"<html><body>rendered</body></html>"


def evidence(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([SCRAPY, "evidence", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def blocked_recording(target: Path) -> Path:
    """run-1's recording with every search answered by a rate-limit block page: the run archives its responses
    and stores no observation."""
    source = WB_RUNS / "run-1"
    (target / "bodies").mkdir(parents=True)
    shutil.copy(source / "meta.json", target / "meta.json")
    lines = []
    for line in (source / "responses.jsonl").read_text("utf-8").splitlines()[:4]:
        entry = json.loads(line)
        if "/search?" in entry["url"]:
            entry |= {"status": 429, "headers": {"Content-Type": ["text/html"]}, "body_file": "bodies/blocked.html"}
        else:
            shutil.copy(source / entry["body_file"], target / entry["body_file"])
        lines.append(json.dumps(entry, ensure_ascii=False))
    (target / "bodies" / "blocked.html").write_text("<html><body>Too many requests</body></html>", "utf-8")
    (target / "responses.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    return target


def runs(db: Path) -> dict[str, tuple]:
    return {row[0]: row[1:] for row in query(db, "SELECT run_id, status, evidence_path, evidence_sha256, "
                                                 "evidence_tokens FROM crawl_runs")}


def files_of(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """A database with an empty run (all blocked) and a run with rows, both real replays (recorded 2026-11-01),
    and a hand-made old browser run with a screenshot package (its crawl_runs row and its one listing observation
    added as a finished crawl writes them)."""
    base = tmp_path_factory.mktemp("disk")
    db = base / "db.duckdb"
    empty = replay(blocked_recording(base / "blocked-recording"), db)
    assert empty.returncode == 1 and "zero items" in empty.stderr, empty.stderr[-2000:]  # a failed run, archived
    full = replay(WB_RUNS / "run-1", db)
    assert full.returncode == 0, full.stderr[-2000:]
    by_status = {status: run_id for run_id, (status, *_rest) in runs(db).items()}
    assert set(by_status) == {"failed", "ok"}
    root = base / "db.duckdb.evidence"
    archive = EvidenceArchive(root, "wildberries", SHOT_RUN, replay=False, info={"terms": ["Кымдан-2"]})
    moment = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)
    archive.save_response(url="https://www.wildberries.ru/catalog/201111001/detail.aspx", method="GET",
                          request_headers=[], request_body=b"", status=200,
                          headers=[("Content-Type", "text/html; charset=utf-8")],
                          body=RENDERED, network_body=b"<html><body></body></html>",
                          fetched_at=moment, kind="browser", screenshot=PNG)
    archive.close()
    authority = TsaAuthority(base / "tsa")
    with authority.serve() as tsa_url:  # both packages signed by a real local RFC 3161 authority
        result = package_run(archive.folder, SimpleNamespace(tsa_urls=[tsa_url], tsa_timeout=10.0))
    assert sorted((p.kind, len(p.tokens)) for p in result.packages) == [("main", 1), ("screenshots", 1)]
    with duckdb.connect(str(db)) as con:
        con.execute("INSERT INTO crawl_runs (run_id, marketplace, started_at, finished_at, status, item_count, "
                    "evidence_path, evidence_sha256, evidence_tokens) "
                    "VALUES (?, 'wildberries', ?, ?, 'ok', 1, ?, ?, 0)",
                    [SHOT_RUN, moment.replace(tzinfo=None), moment.replace(tzinfo=None), f"wildberries/{SHOT_RUN}",
                     result.packages[0].sha256])
        con.execute("INSERT INTO listing_observations (run_id, marketplace, product_id, listing_status, observed_at, "
                    "response_sha256) VALUES (?, 'wildberries', '201111001', 'listed', ?, ?)",
                    [SHOT_RUN, moment.replace(tzinfo=None), hashlib.sha256(RENDERED).hexdigest()])
    return SimpleNamespace(base=base, empty=by_status["failed"], full=by_status["ok"], roots=authority.root_pem)


@pytest.fixture
def copy(built: SimpleNamespace, tmp_path: Path) -> SimpleNamespace:
    """A copy of the built database and archive that a test may prune."""
    for name in ("db.duckdb", "db.duckdb.evidence"):
        source = built.base / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, tmp_path / name)
    root = tmp_path / "db.duckdb.evidence"
    return SimpleNamespace(db=tmp_path / "db.duckdb", root=root, empty=root / "wildberries" / built.empty,
                           full=root / "wildberries" / built.full, shots=root / "wildberries" / SHOT_RUN,
                           empty_id=built.empty, full_id=built.full, roots=built.roots)


def du_line(output: str, run_id: str) -> str:
    (line,) = [line for line in output.splitlines() if run_id in line]
    return line


def test_du_lists_every_run_with_its_real_sizes_and_an_unknown_folder(copy: SimpleNamespace) -> None:
    stray = copy.root / "wildberries" / "wildberries-20261101T070000Z-0badf00d"
    stray.mkdir()
    shutil.copy(copy.full / f"{copy.full_id}.wacz", stray / "wildberries-20261101T070000Z-0badf00d-00000.warc.gz")
    done = evidence("du", "--db", str(copy.db))
    assert done.returncode == 0, done.stdout + done.stderr
    full = du_line(done.stdout, copy.full_id).split()
    wacz = copy.full / f"{copy.full_id}.wacz"
    main_bytes = wacz.stat().st_size + (copy.full / f"{copy.full_id}.wacz.json").stat().st_size
    assert full[3:6] == ["ok", "15", "unsigned"]  # 4 listing + 3 seller observations + 4 search hits + 4 descriptions
    assert " ".join(full[6:8]) == human(main_bytes) == human(folder_bytes(copy.full))
    assert du_line(done.stdout, copy.empty_id).split()[3:6] == ["failed", "0", "unsigned"]
    shots = du_line(done.stdout, SHOT_RUN)
    shot_bytes = sum(p.stat().st_size for p in copy.shots.glob(f"{SHOT_RUN}-screenshots.wacz*"))
    assert f"{human(shot_bytes)}" in shots and shot_bytes > len(PNG)
    assert "not in the database" in du_line(done.stdout, "0badf00d") and "unpackaged" in du_line(done.stdout,
                                                                                                  "0badf00d")
    total = sum(folder_bytes(f) for f in (copy.full, copy.empty, copy.shots, stray))
    assert f"total: 4 run folder(s), {human(total)}" in done.stdout
    assert "packages: 1 signed, 2 unsigned, 1 unpackaged" in done.stdout
    assert du_line(done.stdout, SHOT_RUN).split()[5] == "signed"
    assert "1 run folder(s) not in the database" in done.stdout


def test_prune_does_nothing_by_default_and_says_so(copy: SimpleNamespace) -> None:
    before = files_of(copy.root)
    done = evidence("prune", "--db", str(copy.db))
    assert done.returncode == 0 and "retention is off" in done.stdout and "nothing pruned" in done.stdout
    assert files_of(copy.root) == before


def test_prune_screenshots_keeps_the_main_package_valid(copy: SimpleNamespace) -> None:
    shot_files = sorted(p.name for p in copy.shots.glob(f"{SHOT_RUN}-screenshots*"))
    assert shot_files == [f"{SHOT_RUN}-screenshots.wacz", f"{SHOT_RUN}-screenshots.wacz.1.tsr",
                          f"{SHOT_RUN}-screenshots.wacz.json"]
    freed = sum((copy.shots / name).stat().st_size for name in shot_files)
    others = {f: files_of(f) for f in (copy.full, copy.empty)}
    done = evidence("prune", "--db", str(copy.db), "-s", "EVIDENCE_KEEP_SCREENSHOTS_DAYS=1")
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(p.name for p in copy.shots.iterdir()) == [f"{SHOT_RUN}.wacz", f"{SHOT_RUN}.wacz.1.tsr",
                                                            f"{SHOT_RUN}.wacz.json"]
    assert {f: files_of(f) for f in others} == others  # no screenshots there, and the empty-run rule is off
    (entry,) = [json.loads(line) for line in (copy.root / PRUNE_LOG).read_text("utf-8").splitlines()]
    assert entry["kind"] == "screenshots" and entry["run_id"] == SHOT_RUN and entry["bytes"] == freed
    assert entry["what"] == [f"wildberries/{SHOT_RUN}/{name}" for name in shot_files]
    assert "EVIDENCE_KEEP_SCREENSHOTS_DAYS=1" in entry["why"]
    verified = evidence("verify", str(copy.shots), "--tsa-roots", str(copy.roots))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "-screenshots.wacz" not in verified.stdout and "RESULT: OK" in verified.stdout
    assert "1 timestamp token(s) verify" in verified.stdout and "chain verified" in verified.stdout
    again = evidence("prune", "--db", str(copy.db), "-s", "EVIDENCE_KEEP_SCREENSHOTS_DAYS=1")
    assert "0 deletion(s)" in again.stdout and len((copy.root / PRUNE_LOG).read_text().splitlines()) == 1
    du = evidence("du", "--db", str(copy.db))
    assert "pruned" in du_line(du.stdout, SHOT_RUN).split()[7:9] and "screenshots pruned" in du.stdout


def test_prune_deletes_only_the_old_empty_run_and_logs_it(copy: SimpleNamespace) -> None:
    stray = copy.root / "wildberries" / "wildberries-20200101T000000Z-0badf00d"  # old, empty, unknown to the db
    stray.mkdir()
    (stray / "notes.txt").write_text("a run folder from elsewhere")
    keep = {f: files_of(f) for f in (copy.full, copy.shots, stray)}
    empty_bytes = folder_bytes(copy.empty)
    done = evidence("prune", "--db", str(copy.db), "-s", "EVIDENCE_KEEP_EMPTY_RUNS_DAYS=1")
    assert done.returncode == 0, done.stdout + done.stderr
    assert not copy.empty.exists()
    assert {f: files_of(f) for f in keep} == keep  # the runs with rows and the unknown folder are untouched
    assert "kept, the database does not know this run" in done.stdout
    (entry,) = [json.loads(line) for line in (copy.root / PRUNE_LOG).read_text("utf-8").splitlines()]
    assert (entry["kind"], entry["run_id"], entry["bytes"]) == ("empty_run", copy.empty_id, empty_bytes)
    assert entry["what"] == [f"wildberries/{copy.empty_id}"] and "no stored row" in entry["why"]
    assert datetime.fromisoformat(entry["when"]).date() == datetime.now(UTC).date()
    # the database keeps the run and where its archive was; du says it was pruned, not that it is missing
    assert runs(copy.db)[copy.empty_id][1] == f"wildberries/{copy.empty_id}"
    du = evidence("du", "--db", str(copy.db))
    assert du.returncode == 0 and "pruned" in du_line(du.stdout, copy.empty_id)
    assert "1 run(s) pruned (prune.log), 0 MISSING" in du.stdout


def test_a_run_with_rows_is_never_deleted_however_old(copy: SimpleNamespace) -> None:
    with duckdb.connect(str(copy.db)) as con:  # ten years old, and its only rows are search hits
        con.execute("UPDATE crawl_runs SET started_at = TIMESTAMP '2016-11-01 06:00:00' WHERE run_id = ?",
                    [copy.full_id])
        con.execute("DELETE FROM listing_observations WHERE run_id = ?", [copy.full_id])
        con.execute("DELETE FROM seller_observations WHERE run_id = ?", [copy.full_id])
    before = files_of(copy.full)
    done = evidence("prune", "--db", str(copy.db), "-s", "EVIDENCE_KEEP_EMPTY_RUNS_DAYS=1",
                    "-s", "EVIDENCE_KEEP_SCREENSHOTS_DAYS=1")
    assert done.returncode == 0, done.stdout + done.stderr
    assert files_of(copy.full) == before and copy.full_id not in (copy.root / PRUNE_LOG).read_text("utf-8")


def test_dry_run_deletes_nothing(copy: SimpleNamespace) -> None:
    before = files_of(copy.root)
    done = evidence("prune", "--db", str(copy.db), "--dry-run", "-s", "EVIDENCE_KEEP_EMPTY_RUNS_DAYS=1",
                    "-s", "EVIDENCE_KEEP_SCREENSHOTS_DAYS=1")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"would delete wildberries/{copy.empty_id} " in done.stdout
    assert f"would delete wildberries/{SHOT_RUN}/{SHOT_RUN}-screenshots.wacz" in done.stdout
    assert "dry run: 2 deletion(s)" in done.stdout
    assert files_of(copy.root) == before and not (copy.root / PRUNE_LOG).exists()


def test_package_fills_crawl_runs_and_says_when_the_database_is_locked(tmp_path: Path) -> None:
    db = tmp_path / "db.duckdb"
    crawl = replay(WB_RUNS / "run-1", db, "EVIDENCE_PACKAGE=False")
    assert crawl.returncode == 0, crawl.stderr[-2000:]
    ((run_id, (_status, path, sha256, tokens)),) = runs(db).items()
    folder = tmp_path / "db.duckdb.evidence" / path
    assert sha256 is None and tokens is None and [p.name for p in warc_groups(folder)["main"]]
    du = evidence("du", "--db", str(db))
    assert "unpackaged" in du_line(du.stdout, run_id) and "0 signed, 0 unsigned, 1 unpackaged" in du.stdout
    holder = duckdb.connect(str(db))  # another writer holds the file
    try:
        locked = evidence("package", "--all-unpackaged", "--db", str(db), "-s", "DUCKDB_LOCK_TIMEOUT=0.5")
    finally:
        holder.close()
    assert locked.returncode == 1 and "locked" in locked.stdout, locked.stdout + locked.stderr
    assert runs(db)[run_id][2] is None  # nothing recorded, nothing packaged: the database could not be read
    running_id = "wildberries-20261202T000000Z-00c0ffee"  # a crawl still writing its archive: never packaged
    running = EvidenceArchive(tmp_path / "db.duckdb.evidence", "wildberries", running_id, replay=False, info={})
    running.save_failure(url="https://www.wildberries.ru/", method="GET", error="timeout",
                         fetched_at=datetime.now(UTC), kind="http")
    running.close()
    (tmp_path / "db.duckdb.staging" / running_id).mkdir(parents=True)
    owner = run_owner.claim(tmp_path / "db.duckdb.staging" / running_id)  # what RunStager does at crawl start
    try:
        done = evidence("package", "--all-unpackaged", "--db", str(db))
    finally:
        owner.close()
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{running_id}: skipped, its crawl is still running" in done.stdout
    assert [p.name for p in warc_groups(running.folder)["main"]] == [f"{running_id}-00000.warc.gz"]
    assert not (running.folder / f"{running_id}.wacz").exists()
    wacz = folder / f"{run_id}.wacz"
    assert runs(db)[run_id][2:] == (hashlib.sha256(wacz.read_bytes()).hexdigest(), 0)
    assert not warc_groups(folder)["main"] and "crawl_runs updated for 1 run(s)" in done.stdout


@pytest.mark.slow
def test_package_run_records_a_package_written_while_the_database_was_locked(tmp_path: Path) -> None:
    db = tmp_path / "db.duckdb"
    crawl = replay(WB_RUNS / "run-1", db, "EVIDENCE_PACKAGE=False")
    assert crawl.returncode == 0, crawl.stderr[-2000:]
    ((run_id, _row),) = runs(db).items()
    folder = tmp_path / "db.duckdb.evidence" / "wildberries" / run_id
    evidence("du", "--db", str(db))  # read-only opens beside nothing: the write lock below is the only one
    holder = duckdb.connect(str(db), read_only=True)  # a reader: the package's write session cannot open
    try:
        locked = evidence("package", "--run", run_id, "--db", str(db), "-s", "DUCKDB_LOCK_TIMEOUT=0.5")
    finally:
        holder.close()
    assert locked.returncode == 1 and "NOT recorded in crawl_runs" in locked.stdout, locked.stdout + locked.stderr
    assert (folder / f"{run_id}.wacz").is_file() and runs(db)[run_id][2] is None
    again = evidence("package", "--run", run_id, "--db", str(db))
    assert again.returncode == 0, again.stdout + again.stderr
    assert runs(db)[run_id][2] == hashlib.sha256((folder / f"{run_id}.wacz").read_bytes()).hexdigest()


def test_a_mistyped_option_after_the_subcommand_is_refused_not_ignored(tmp_path):
    """Scrapy passes unknown words through to the command: `prune --dryrun` (for --dry-run) must not prune."""
    scrapy = str(Path(sys.executable).with_name("scrapy"))
    result = subprocess.run([scrapy, "evidence", "prune", "--dryrun", "--db", str(tmp_path / "db.duckdb")],
                            cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "`evidence prune`: unknown argument(s) --dryrun" in result.stderr
