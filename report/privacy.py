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


def _name_forms(given: Any, family: Any) -> set[str]:
    given, family = str(given or "").strip(), str(family or "").strip()
    forms = set()
    if given and family:
        forms |= {"%s %s" % (given, family), "%s, %s" % (family, given),
                  "%s %s" % (given.split()[0], family)}
    return {f.lower() for f in forms if len(f) >= 5}


def names_of(store: GraphStore, person_ids: Iterable[str]) -> set[str]:
    """Every full-name form on record for these people, lower case."""
    ids = sorted(set(person_ids))
    forms: set[str] = set()
    for start in range(0, len(ids), 2000):
        for row in store.read(queries.PERSON_NAMES, {"ids": ids[start:start + 2000]}):
            forms |= _name_forms(row.get("given_names"), row.get("family_name"))
            for rec in row.get("records") or []:
                if isinstance(rec, dict):
                    forms |= _name_forms(rec.get("given_names"), rec.get("family_name"))
    return forms


def check_document(document: str, names: set[str], raw_ids: set[str]) -> None:
    """Refuse the report if a pseudonymised child's name or raw id is anywhere in it."""
    text = " ".join(html.unescape(document).lower().split())
    leaks = []
    if any(name in text for name in names):
        leaks.append("a child's name")
    if raw_ids:
        pattern = re.compile(r"(?<![\w-])(?:%s)(?![\w-])" % "|".join(re.escape(i) for i in sorted(raw_ids)),
                             re.IGNORECASE)
        if pattern.search(document):
            leaks.append("a child's csenet id")
    if leaks:
        raise ReportPrivacyError("report refused: %s would have been written" % " and ".join(leaks))
