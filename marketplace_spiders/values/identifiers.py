"""Russian legal identifiers of sellers: ИНН (10 digits for an organisation, 12 for a person or ИП) and
ОГРН (13) / ОГРНИП (15), read whole and validated by the ФНС control digits (python-stdnum ``ru.inn``; the
ОГРН/ОГРНИП rule is written out here, see ``_ogrn_problem``).

A number that is the wrong length or fails its check digits is never returned as an identifier: it goes to
``LegalIds.rejected`` as the raw text, so the caller can store it apart, count it and log it. A digit run is
always taken whole: twelve digits after «ИНН» are a 12-digit INN or nothing, never the first ten.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from stdnum.exceptions import ValidationError
from stdnum.ru import inn as stdnum_inn

INN_LENGTHS = (10, 12)
OGRN_LENGTHS = (13, 15)

# A label, optional punctuation, then the whole digit run (never part of a longer run).
_LABELLED = re.compile(
    r"(?<![0-9A-Za-zА-Яа-яЁё])(?P<label>ОГРН\s*ИП|ОГРНИП|ОГРН|ИНН|OGRNIP|OGRN|INN)"
    r"(?![A-Za-zА-Яа-яЁё])\s*[:№#.]?\s*(?P<digits>\d+)(?!\d)",
    re.IGNORECASE,
)
# An unlabelled run of exactly 13 or 15 digits (Ozon's tooltip shows the ОГРН as a bare line).
_BARE_OGRN = re.compile(r"(?<!\d)(?<!\d[.,])(\d{15}|\d{13})(?!\d|[.,]\d)")


@dataclass(frozen=True)
class LegalIds:
    """The identifiers found in a seller's legal text or fields."""

    inn: str | None = None
    """ИНН with valid control digits (10 or 12 digits), or None."""
    ogrn: str | None = None
    """ОГРН (13) or ОГРНИП (15) with a valid control digit, or None."""
    rejected: tuple[str, ...] = ()
    """Numbers that looked like an identifier but were not stored, each "<label> <raw>: <why>"."""

    @property
    def rejected_text(self) -> str | None:
        """``rejected`` as one '; '-separated string (the ``legal_id_rejects`` column), None when empty."""
        return "; ".join(self.rejected) or None


def _digits(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value) if value >= 0 else None
    if not isinstance(value, str):
        return None
    text = re.sub(r"[\s\u00a0\u2009\u202f-]", "", value)
    return text if text else None


def _inn_problem(digits: str) -> str | None:
    if not (digits.isascii() and digits.isdigit()):
        return "not digits"
    if len(digits) not in INN_LENGTHS:
        return f"{len(digits)} digits, not 10 or 12"
    try:
        stdnum_inn.validate(digits)
    except ValidationError:
        return "control digits do not match"
    return None


def _ogrn_problem(digits: str) -> str | None:
    """ФНС rule: the last digit is the last digit of the remainder of the preceding digits divided by 11
    (ОГРН, 13 digits) or 13 (ОГРНИП, 15 digits). python-stdnum's ``ru.ogrn`` compares the whole remainder for
    15 digits, so it rejects real ОГРНИП whose remainder is 10-12; both lengths are checked here."""
    if not (digits.isascii() and digits.isdigit()):
        return "not digits"
    if len(digits) not in OGRN_LENGTHS:
        return f"{len(digits)} digits, not 13 or 15"
    if len(digits) == 13 and digits[0] == "0" or len(digits) == 15 and digits[0] not in "34":
        return f"cannot start with {digits[0]}"
    if digits[-1] != _ogrn_check_digit(digits[:-1]):
        return "control digit does not match"
    return None


def _ogrn_check_digit(body: str) -> str:
    return str(int(body) % (11 if len(body) == 12 else 13) % 10)


def valid_inn(value: Any) -> str | None:
    """The INN in ``value`` (string or int, spaces allowed) if it has 10/12 digits and valid control digits."""
    digits = _digits(value)
    return digits if digits is not None and _inn_problem(digits) is None else None


def valid_ogrn(value: Any) -> str | None:
    """The ОГРН/ОГРНИП in ``value`` if it has 13/15 digits and a valid control digit."""
    digits = _digits(value)
    return digits if digits is not None and _ogrn_problem(digits) is None else None


class _Collector:
    def __init__(self) -> None:
        self.inn: list[str] = []
        self.ogrn: list[str] = []
        self.rejected: list[str] = []

    def offer(self, kind: str, raw: Any) -> None:
        digits = _digits(raw)
        if digits is None:
            if raw not in (None, ""):
                self.rejected.append(f"{kind} {raw!r}: not a number")
            return
        problem = (_inn_problem if kind == "ИНН" else _ogrn_problem)(digits)
        if problem:
            self.rejected.append(f"{kind} {digits}: {problem}")
            return
        found = self.inn if kind == "ИНН" else self.ogrn
        if digits not in found:
            found.append(digits)

    def result(self) -> LegalIds:
        rejected = list(self.rejected)
        values: dict[str, str | None] = {}
        for kind, found in (("ИНН", self.inn), ("ОГРН", self.ogrn)):
            if len(found) > 1:
                rejected.append(f"{kind} {' / '.join(found)}: several different valid numbers, none stored")
                values[kind] = None
            else:
                values[kind] = found[0] if found else None
        return LegalIds(inn=values["ИНН"], ogrn=values["ОГРН"], rejected=tuple(rejected))


def read_legal_ids(text: str | Iterable[str] | None) -> LegalIds:
    """ИНН and ОГРН/ОГРНИП in a seller's legal text (one string or its lines).

    Labelled numbers («ИНН 7707083893», «ОГРНИП: 304500116000157», «ОГРН ИП …») are read whole; an
    unlabelled run of exactly 13 or 15 digits is read as an ОГРН/ОГРНИП. Two different valid numbers of one
    kind store neither (they are reported in ``rejected``).
    """
    if text is None:
        return LegalIds()
    lines = [text] if isinstance(text, str) else [line for line in text if isinstance(line, str)]
    found = _Collector()
    for line in lines:
        taken: list[tuple[int, int]] = []
        for match in _LABELLED.finditer(line):
            label = re.sub(r"\s+", "", match.group("label")).upper()
            kind = "ИНН" if label in ("ИНН", "INN") else "ОГРН"
            found.offer(kind, match.group("digits"))
            taken.append(match.span("digits"))
        for match in _BARE_OGRN.finditer(line):
            if not any(start <= match.start() < end for start, end in taken):
                found.offer("ОГРН", match.group(1))
    return found.result()


def legal_ids_from_fields(inn: Any = None, ogrn: Any = None) -> LegalIds:
    """ИНН and ОГРН given as separate structured fields (JSON keys), validated like text."""
    found = _Collector()
    if inn not in (None, ""):
        found.offer("ИНН", inn)
    if ogrn not in (None, ""):
        found.offer("ОГРН", ogrn)
    return found.result()


def complete_inn(prefix: str) -> str:
    """A valid ИНН from its first 9 (organisation) or 10 (person) digits: for deriving fictional fixtures."""
    if len(prefix) == 9:
        return prefix + stdnum_inn.calc_company_check_digit(prefix)
    if len(prefix) == 10:
        return prefix + stdnum_inn.calc_personal_check_digits(prefix)
    raise ValueError(f"an INN prefix has 9 or 10 digits, not {len(prefix)}")


def complete_ogrn(prefix: str) -> str:
    """A valid ОГРН/ОГРНИП from its first 12 or 14 digits: for deriving fictional fixtures."""
    if len(prefix) not in (12, 14):
        raise ValueError(f"an OGRN prefix has 12 or 14 digits, not {len(prefix)}")
    return prefix + _ogrn_check_digit(prefix)
