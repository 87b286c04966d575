# SPDX-License-Identifier: GPL-3.0-or-later
"""Keeping children out of the profile: keyed pseudonyms, reasons without quoted text, a last scan.

The report never reads a name into what it renders; the names are read only to prove,
after rendering, that none of them is in the document (fail closed, as exports do).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from typing import Any

from csenet.exports.pseudonymise import load_or_create_key, pseudonym
from csenet.graph.store import GraphStore
from csenet.report import queries

from csenet.errors import CsenetError
from csenet.settings import Settings

_QUOTED = re.compile(r'"[^"]*"')
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
_TOKEN = re.compile(r"[\w-]+")
_EMPTY_PARENS = re.compile(r"\(\s*[,;]?\s*\)")


class ReportPrivacyError(CsenetError, RuntimeError):
    """A child's name or raw id would have been written into the report; nothing is written."""


def reason_codes(reasons: str | None) -> list[str]:
    """The audit's reasons without the quoted summary text they cite (it can name a child)."""
    out = []
    for reason in str(reasons or "").split(";"):
        code = _EMPTY_PARENS.sub("", _QUOTED.sub("", reason)).strip()
        if code:
            out.append(code)
    return out


class Pseudonyms:
    """The same keyed pseudonyms exports use: a child is VICTIM-/CHILD-<16 hex> in every output."""

    def __init__(self, settings: Settings):
        self._key = load_or_create_key(settings.pseudonym_key_path())
        self.hidden: set[str] = set()

    def child(self, person_id: str, victim: bool) -> str:
        self.hidden.add(str(person_id))
        return pseudonym(self._key, "person", str(person_id), "VICTIM" if victim else "CHILD")


def _words(text: Any) -> list[str]:
    return _WORD.findall(str(text or "").lower())


def _name_forms(given: Any, family: Any) -> set[tuple[str, ...]]:
    """Given family, family given, and first given name with family, as word sequences."""
    g, f = _words(given), _words(family)
    if not (g and f):
        return set()
    return {tuple(g + f), tuple(f + g), tuple(g[:1] + f)}


def names_of(store: GraphStore, person_ids: Iterable[str]) -> set[tuple[str, ...]]:
    """Every full-name form on record for these people, as lower-case word sequences."""
    ids = sorted(set(person_ids))
    forms: set[tuple[str, ...]] = set()
    for start in range(0, len(ids), 2000):
        for row in store.read(queries.PERSON_NAMES, {"ids": ids[start:start + 2000]}):
            forms |= _name_forms(row.get("given_names"), row.get("family_name"))
            for rec in row.get("records") or []:
                if isinstance(rec, dict):
                    forms |= _name_forms(rec.get("given_names"), rec.get("family_name"))
    return forms


def check_document(document: str, names: set[tuple[str, ...]], raw_ids: set[str]) -> None:
    """Refuse the report if a pseudonymised child's name or raw id is anywhere in it.

    Word sequences and whole tokens are looked up in sets, so the scan stays linear in the
    document however many children a force's profile counts."""
    words = _words(html.unescape(document))
    leaks = []
    for n in sorted({len(f) for f in names}):
        grams = {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}
        if not grams.isdisjoint(names):
            leaks.append("a child's name")
            break
    tokens = {t.lower() for t in _TOKEN.findall(document)}
    if not tokens.isdisjoint({i.lower() for i in raw_ids}):
        leaks.append("a child's csenet id")
    if leaks:
        raise ReportPrivacyError("report refused: %s would have been written" % " and ".join(leaks))
