"""Speed of the classifier: listings/s of ``Classifier.classify`` and the time of classifying one ingested run.

    .venv/bin/python bench/classify_benchmark.py [--listings 30000] [--repeat 20] [--short 20000]
    .venv/bin/python bench/classify_benchmark.py --outputs FILE   # write every output for an equivalence check
    .venv/bin/python bench/classify_benchmark.py --hostile-only    # only the hostile descriptions

Prints (does not assert):
- listings/s of ``Classifier.classify`` on the two labelled sets (fixtures/classify/*.jsonl, long descriptions)
  repeated ``--repeat`` times, and on ``--short`` short synthetic listings (title, brand, country, seller);
- for one run of ``--listings`` listings staged through the real path (RunStager -> Database.ingest_run): the
  ingest without the post-ingest hooks, ``update_classifications`` on its own, and the same for a second run
  that did not refetch the descriptions (they are carried forward) and changed 5 % of the titles.

- the time of classifying one listing with a hostile description (product names and claim stems repeated,
  with invisible characters) of 432 KB, 20 MB and 200 MB, and how much of it was classified (the
  ``CLASSIFY_MAX_FIELD_CHARS`` cap).

``--outputs FILE`` writes, as JSON lines, the full classification of every labelled listing and of a few
thousand synthetic variants (case, dashes, spaces, look-alike letters, glued units, decomposed letters,
swapped fields), with the packaged rules and with the sanctions-list extracts of fixtures/classify/sanctions,
plus ``normalize`` and ``clean_name`` of every text and of random strings. Run it before and after a change
to the classifier and compare the two files byte for byte.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import tempfile
import time
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from marketplace_spiders.classify import Classifier, normalize
from marketplace_spiders.classify.entities import SanctionedParty, clean_name
from marketplace_spiders.classify.history import update_classifications
from marketplace_spiders.classify.sanctions import parse_list
from marketplace_spiders.items import FetchRecord, ListingContent, ListingObservation, SearchHit, SellerObservation
from marketplace_spiders.pages.description import description_hash
from marketplace_spiders.storage import database
from marketplace_spiders.storage.database import Database, staging_root_for, transaction
from marketplace_spiders.storage.staging import RunStager

ROOT = Path(__file__).resolve().parents[1]
LABELLED_SETS = (ROOT / "fixtures" / "classify" / "eval.jsonl", ROOT / "fixtures" / "classify" / "holdout.jsonl")
SANCTIONS = ROOT / "fixtures" / "classify" / "sanctions"
TEXT_FIELDS = ("title", "description", "characteristics", "country_of_origin", "manufacturer", "brand",
               "seller_legal_name")
MP = "wildberries"
T0 = datetime(2026, 11, 2, 6, 0)

# Short listings like most of a search result: everyday products, a few DPRK and look-alike names among them.
SHORT_TITLES = (
    "Ноутбук 16 дюймов Ryzen 5 16Гб", "Чехол для телефона силиконовый", "Кымдан-2 ампулы 10 шт",
    "Красный женьшень 6 лет экстракт", "Кордицепс капсулы 60 шт", "Бальзам «Чосон» 50 мл",
    "Kumdang-2 serum 5ml", "Витамин D3 2000 МЕ, 90 таблеток", "Пантовый бальзам Алтай", "Чай зелёный листовой 100г",
    "Royal Blood-Fresh капсулы", "Нео-Виагра 10 капсул", "Крем для лица увлажняющий 50мл", "Кэсонский женьшень",
    "安宫牛黄丸 1 пилюля", "금당-2 주사액", "Корейская косметика маска тканевая", "Кроссовки мужские беговые",
    "Масло облепиховое 100 мл", "Пхеньянский бальзам для суставов", "Игрушка магнит на холодильник КНДР",
)
BRANDS = ("Samsung", "Pugang", "Без бренда", "Эвалар", "Korea Ginseng Corp", "Мирролла", "Чосон", "TECNO", None)
COUNTRIES = ("Россия", "Корея", "КНДР", "Китай", "Корея, Республика", "Корея, Народно-Демократическая Республика",
             None)
SELLER_NAMES = ("ООО «Ромашка»", "ИП Иванов Иван Иванович", "ООО «Корея Пуган Трейдинг Корпорейшн»",
                "ООО «Градиент»", "ООО «Восточный Бальзам»", "АО «Здоровье»", None)


def read_labelled() -> list[dict]:
    rows = []
    for path in LABELLED_SETS:
        with path.open(encoding="utf-8") as fh:
            rows += [{k: v for k, v in json.loads(line).items() if k not in ("label", "claims", "note")}
                     for line in fh if line.strip()]
    return rows


def short_listings(count: int, rng: random.Random) -> list[dict]:
    return [{"marketplace": MP, "product_id": str(i), "title": f"{rng.choice(SHORT_TITLES)} арт. {i}",
             "brand": rng.choice(BRANDS), "country_of_origin": rng.choice(COUNTRIES),
             "seller_legal_name": rng.choice(SELLER_NAMES)} for i in range(count)]


# -- synthetic variants (for the equivalence check) ----------------------------------------------------------
SPACES = ("\u00a0", "\u2009", "\u202f", "\u2007", "\u3000", "\u200b", "\ufeff", "\t", "\n", "  ", "\u2028", "\x85")
DASHES = ("\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2015", "\u2212", "\u2043", "\ufe58", "\ufe63",
          "\uff0d", "\u00ad", "-")
LOOKALIKE = {"а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "х": "x", "у": "y", "к": "k", "м": "m", "т": "t",
             "н": "h", "в": "b", "a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "k": "к"}
ODD_CHARS = ("İ", "ẞ", "ß", "Ω", "ǅ", "ﬁ", "й", "и\u0306", "е\u0308", "Е\u0308", "ё", "Ё", "№", "²", "٣", "𝟘", "Ⅻ",
             "\u0301", "\U0001f600", "ʼ", "’", "«", "»", "\x00", "\r\n", "ǈ", "ﬀ", "Σ", "ς")


def _mutate(text: str, rng: random.Random) -> str:
    chars = list(text)
    for _ in range(rng.randint(1, 6)):
        if not chars:
            break
        i = rng.randrange(len(chars))
        op = rng.randrange(9)
        if op == 0:
            chars[i] = chars[i].upper() if chars[i].islower() else chars[i].lower()
        elif op == 1 and chars[i] == " ":
            chars[i] = rng.choice(SPACES)
        elif op == 2 and chars[i] in "- ":
            chars[i] = rng.choice(DASHES)
        elif op == 3 and chars[i].lower() in LOOKALIKE:
            chars[i] = LOOKALIKE[chars[i].lower()]
        elif op == 4 and chars[i] == " " and 0 < i < len(chars) - 1 and chars[i - 1].isdigit():
            del chars[i]  # glue a number to the next word ("5 мл" -> "5мл")
        elif op == 5:
            chars.insert(i, rng.choice(ODD_CHARS))
        elif op == 6 and chars[i] in "её":
            chars[i] = rng.choice(("ё", "Ё", "е\u0308"))
        elif op == 7:
            chars.insert(i, rng.choice(("№", "№ ", " ", "  ", "\u00a0")))
        else:
            chars[i] = chars[i].upper()
    return "".join(chars)


def synthetic_variants(base: list[dict], count: int, rng: random.Random) -> list[dict]:
    out = []
    for n in range(count):
        listing = dict(rng.choice(base))
        listing["product_id"] = f"variant-{n}"
        for field in TEXT_FIELDS:
            roll = rng.random()
            if roll < 0.15:
                listing[field] = rng.choice(base).get(field)  # from another listing
            elif roll < 0.20:
                listing[field] = rng.choice((None, "", "   ", "\u00a0"))
            if field == "characteristics":
                value = listing.get(field)
                if isinstance(value, dict) and value and rng.random() < 0.3:
                    listing[field] = json.dumps(value, ensure_ascii=False)  # as a string
                elif isinstance(value, dict) and rng.random() < 0.3:
                    listing[field] = {_mutate(k, rng): _mutate(str(v), rng) for k, v in value.items()}
            elif isinstance(listing.get(field), str) and rng.random() < 0.6:
                listing[field] = _mutate(listing[field], rng)
        if rng.random() < 0.1:
            listing["seller_inn"] = rng.choice(("7701234567", "123", None))
        out.append(listing)
    return out


def random_strings(count: int, rng: random.Random) -> list[str]:
    alphabet = ("абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВЕКМНОРСТУХЁ abcehkmoptxyiABCEHKMOPTXYI0123456789-.,()«»\"'"
                "금당고려약주체安宫牛黄丸") + "".join(SPACES) + "".join(DASHES)
    pool = list(alphabet) + list(ODD_CHARS) + ["мл", "5мл", "10шт", "25мг", "2x", "3х", "кымдан", "№2", "1л"]
    return ["".join(rng.choice(pool) for _ in range(rng.randint(0, 40))) for _ in range(count)]


def sanctioned_parties() -> list[SanctionedParty]:
    parties = []
    for name in ("sdn.csv", "consolidated.xml", "opensanctions.ftm.json", "targets.simple.csv"):
        alt = SANCTIONS / "alt.csv" if name == "sdn.csv" else None
        _fmt, entries = parse_list(SANCTIONS / name, alt_path=alt)
        parties += [SanctionedParty(e.list_source, e.source_id, e.name, tuple(a for a, _ in e.aliases),
                                    e.dprk_related, e.un_reference, e.ofac_ent_num, e.programs) for e in entries]
    return parties


def write_outputs(path: Path) -> int:
    rng = random.Random(20261102)
    labelled = read_labelled()
    listings = labelled + synthetic_variants(labelled, 4000, rng) + short_listings(1000, rng)
    classifiers = {"packaged": Classifier(), "with_sanctions": Classifier(sanctioned_parties=sanctioned_parties())}
    lines = 0
    with path.open("w", encoding="utf-8") as out:
        for listing in listings:
            for name, classifier in classifiers.items():
                out.write(json.dumps({"classifier": name, "result": classifier.classify(listing)},
                                     ensure_ascii=False, sort_keys=True) + "\n")
                lines += 1
        texts = [v for listing in listings for v in listing.values() if isinstance(v, str)]
        for text in texts + random_strings(20000, rng):
            norm = normalize(text)
            out.write(json.dumps({"text": text, "normalized": norm.text, "index": norm.source_index,
                                  "original": norm.original, "clean_name": clean_name(text)},
                                 ensure_ascii=False) + "\n")
            lines += 1
    return lines


# -- throughput of Classifier.classify ------------------------------------------------------------------------
def rate(classifier: Classifier, listings: list[dict]) -> str:
    """listings/s of ``classifier.classify`` (wall clock; CPU seconds in brackets, as the machine is shared)."""
    started, cpu = time.perf_counter(), time.process_time()
    for listing in listings:
        classifier.classify(listing)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return (f"{len(listings) / elapsed:,.0f} listings/s ({elapsed:.2f} s; "
            f"CPU {cpu:.2f} s = {len(listings) / cpu:,.0f}/s)")


# -- hostile descriptions ---------------------------------------------------------------------------------------
HOSTILE_PIECES = ("Кымдан-2 ", "кымдан ", "Кым\u200bдан-2 ", "омолаживает ", "нет противопоказаний ",
                  "противопоказания ", "КНДР ", "Пхеньян ", "иммунитет ", "регенерация ", "женьшень ", "금당-2 ")


def hostile_description(size: int) -> str:
    """``size`` characters of product names, claim stems and origin words repeated (every hit inside others)."""
    block = "".join(HOSTILE_PIECES)
    return (block * (size // len(block) + 1))[:size]


def bench_hostile(sizes: tuple[int, ...] = (432_000, 20_000_000, 200_000_000)) -> None:
    classifier = Classifier()
    for size in sizes:
        listing = {"marketplace": MP, "product_id": f"hostile-{size}", "title": "Кымдан-2",
                   "description": hostile_description(size)}
        started, cpu = time.perf_counter(), time.process_time()
        result = classifier.classify(listing)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        notes = [r for r in result["reasons"] if "truncated" in r or r.startswith("error")]
        print(f"hostile description of {size:,} characters: {elapsed:.2f} s (CPU {cpu:.2f} s), verdict "
              f"{result['verdict']}, {len(result['products'])} product rows, {len(result['claims'])} claim rows; "
              f"{'; '.join(notes) or 'not truncated'}")


# -- one run through the real staging and ingest path ----------------------------------------------------------
def stage_run(db_path: Path, run_id: str, when: datetime, listings: list[dict], with_content: bool,
              sellers: list[SellerObservation]) -> Path:
    """Stage one finished run; returns its staging folder."""
    stager = RunStager(staging_root_for(db_path), run_id)
    stager.add_item(FetchRecord(MP, "https://search", "search", "ok", term="t",
                                product_ids=[x["product_id"] for x in listings], fetched_at=when))
    for position, item in enumerate(listings, 1):
        pid = item["product_id"]
        stager.add_item(SearchHit(MP, "t", 1 + position // 100, position, pid, observed_at=when))
        digest = None
        if with_content and item.get("description"):
            characteristics = item.get("characteristics") or {}
            digest = description_hash(item["description"], characteristics)
            stager.add_item(ListingContent(MP, pid, title=item["title"], description=item["description"],
                                           characteristics=characteristics,
                                           country_of_origin=item.get("country_of_origin"), description_hash=digest))
        stager.add_item(ListingObservation(MP, pid, f"https://wb/{pid}", "listed", title=item["title"],
                                           brand=item.get("brand"), seller_id=item["seller_id"], seller_name="shop",
                                           price=Decimal("700"), in_stock=True,
                                           country_of_origin=item.get("country_of_origin"),
                                           manufacturer=item.get("manufacturer"), description_hash=digest,
                                           observed_at=when))
    for seller in sellers:
        seller.observed_at = when
        stager.add_item(seller)
    stager.finish({"run_id": run_id, "marketplace": MP, "started_at": (when - timedelta(minutes=5)).isoformat(),
                   "finished_at": (when + timedelta(minutes=20)).isoformat(), "status": "ok"})
    return stager.run_dir


def run_listings(count: int, rng: random.Random) -> list[dict]:
    """Short listings, every tenth with a description and characteristics from the labelled sets."""
    labelled = [x for x in read_labelled() if x.get("description")]
    listings = short_listings(count, rng)
    for i, listing in enumerate(listings):
        listing["seller_id"] = f"s{i % 300}"
        if i % 10 == 0:
            source = labelled[i // 10 % len(labelled)]
            listing["description"] = f"{source['description']} Артикул {i // 10 % 997}."
            listing["characteristics"] = {k: str(v) for k, v in (source.get("characteristics") or {}).items()}
            listing["manufacturer"] = source.get("manufacturer")
    return listings


def ingest_timed(db: Database, run_dir: Path, hooks: bool) -> float:
    saved = database.Database.after_ingest
    if not hooks:
        database.Database.after_ingest = lambda self, con: None
    try:
        started = time.perf_counter()
        db.ingest_run(run_dir)
        return time.perf_counter() - started
    finally:
        database.Database.after_ingest = saved


def classify_timed(db: Database, run_id: str) -> tuple[float, int]:
    with db.session() as con, transaction(con):
        started = time.perf_counter()
        classified = update_classifications(con, run_id)
        elapsed = time.perf_counter() - started
    return elapsed, classified


def bench_run(count: int) -> None:
    rng = random.Random(7)
    work = Path(tempfile.mkdtemp(prefix="classify-bench-"))
    try:
        db_path = work / "bench.duckdb"
        db = Database(db_path)
        listings = run_listings(count, rng)
        sellers = [SellerObservation(MP, f"s{i}", name=f"shop {i}", legal_name=SELLER_NAMES[i % len(SELLER_NAMES)],
                                     inn=str(7700000000 + i)) for i in range(300)]
        run_dir = stage_run(db_path, "run-1", T0, listings, with_content=True, sellers=sellers)
        ingest_s = ingest_timed(db, run_dir, hooks=False)
        classify_s, classified = classify_timed(db, "run-1")
        print(f"run 1 ({count} listings, {count // 10} with a description): ingest without hooks {ingest_s:.2f} s, "
              f"update_classifications {classify_s:.2f} s ({classified} text versions, "
              f"{count / classify_s:,.0f} listings/s)")
        for i, listing in enumerate(listings):
            if i % 20 == 0:
                listing["title"] += " NEW"
        run_dir = stage_run(db_path, "run-2", T0 + timedelta(days=7), listings, with_content=False, sellers=sellers)
        ingest_s = ingest_timed(db, run_dir, hooks=False)
        classify_s, classified = classify_timed(db, "run-2")
        print(f"run 2 (descriptions carried forward, 5 % new titles): ingest without hooks {ingest_s:.2f} s, "
              f"update_classifications {classify_s:.2f} s ({classified} text versions)")
        run_dir = stage_run(db_path, "run-3", T0 + timedelta(days=14), listings, with_content=False, sellers=sellers)
        total_s = ingest_timed(db, run_dir, hooks=True)
        print(f"run 3 (nothing changed): ingest with the classification hook {total_s:.2f} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listings", type=int, default=30_000, help="listings in the staged run")
    parser.add_argument("--repeat", type=int, default=20, help="times the labelled sets are classified")
    parser.add_argument("--short", type=int, default=20_000, help="short synthetic listings classified")
    parser.add_argument("--outputs", type=Path, help="only write every output (for an equivalence check) here")
    parser.add_argument("--hostile-only", action="store_true", help="only classify the hostile descriptions")
    parser.add_argument("--hostile-sizes", type=lambda v: tuple(int(x) for x in v.split(",")),
                        default=(432_000, 20_000_000, 200_000_000), help="sizes of the hostile descriptions")
    args = parser.parse_args()
    if args.outputs:
        print(f"{write_outputs(args.outputs)} lines written to {args.outputs}")
        return
    bench_hostile(args.hostile_sizes)
    if args.hostile_only:
        return
    classifier = Classifier()
    labelled = read_labelled()
    print(f"labelled sets ({len(labelled)} listings x {args.repeat}): {rate(classifier, labelled * args.repeat)}")
    print(f"short synthetic listings ({args.short}): {rate(classifier, short_listings(args.short, random.Random(3)))}")
    bench_run(args.listings)


if __name__ == "__main__":
    main()
