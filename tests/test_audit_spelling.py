# SPDX-License-Identifier: GPL-3.0-or-later
"""Misspelt summaries are read as meant, and only where the reading is safe.

The phrasings are written for these tests; none is in the evaluation sets.
"""

from __future__ import annotations

import socket

import pytest

from csenet.audit.engine import Auditor
from csenet.audit.lexicon import default_lexicon
from csenet.audit.semantic import SemanticReader, load_exemplars
from csenet.audit.spelling import Speller, reader_patterns, vocabulary_from
from csenet.audit.text import normalise
from tests.test_audit_semantic import audit


@pytest.fixture(scope="module")
def auditor() -> Auditor:
    return Auditor()


@pytest.mark.parametrize("written, meant", [
    ("suppplied", "supplied"), ("cigarretes", "cigarettes"), ("recieved", "received"),
    ("alcahol", "alcohol"), ("presants", "presents"),
])
def test_a_slip_is_read_as_the_word_the_readers_look_for(auditor, written, meant):
    assert auditor.speller.word(written) == meant


@pytest.mark.parametrize("word", [
    "kayleigh", "aleksandra", "mehmet",   # names in the dictionary are words, never rewritten
    "cloths",                              # a real word, even if meant as "clothes"
    "fone",                                # four letters: done? phone? fine? left alone
    "zqxv",
])
def test_words_and_ambiguous_slips_are_left_alone(auditor, word):
    assert auditor.speller.word(word) is None


def test_a_misspelt_exchange_meets_the_definition_and_says_how_it_was_read():
    text = "Girl 14 discloses the older male suppplied her with vodkka and cigarretes before sexual activity."
    assert audit(text, spelling=False)["meets_cse_definition"] is False
    row = audit(text)
    assert row["meets_cse_definition"] is True
    assert "READ_AS(" in row["reasons"] and "suppplied>supplied" in row["reasons"]


def test_a_misspelt_denial_is_still_a_denial():
    row = audit("She has denyed recieving any money or presants from the suspect, who abused her.")
    assert row["meets_cse_definition"] is False
    assert "NEGATED" in row["reasons"]


def test_the_vocabulary_grows_with_the_lexicon():
    words = frozenset({"scooter", "scooters", "supply", "supplied", "supplying", "table"})
    vocab = vocabulary_from([r"e-?scooters?", r"suppl\w*"], words)
    assert {"scooter", "scooters", "supply", "supplied", "supplying"} <= vocab and "table" not in vocab
    speller = Speller([r"e-?scooters?"], words=words)
    assert speller.word("scoooter") == "scooter"


def test_the_audit_version_names_the_dictionary(auditor):
    assert "+spelling-pyspellchecker-" in auditor.version


def test_the_speller_loads_with_no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network use during the audit")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    lex = default_lexicon()
    speller = Speller(reader_patterns(lex.raw, load_exemplars()))
    assert speller.correct(normalise("he suppplied vodkka"))[0] == "he supplied vodka"


# -- the semantic reader's family gates and the lexicon's denials ----------------------------


def test_a_family_with_cues_is_read_only_where_they_are_written():
    reader = SemanticReader(default_lexicon())
    hosted = reader._family_of == "hosted"
    assert hosted.any()
    assert not (reader.eligible("her stepfather's brother stays over at weekends") & hosted).any()
    assert reader.eligible("he let her sleep at his bedsit")[hosted].all()
    stay_over = "her stepfather's brother stays over at weekends and touched her"
    assert not any(f.counted for f in reader.read_normalised(normalise(stay_over)))


def test_words_the_lexicon_read_as_denied_are_not_asserted_by_the_semantic_reader():
    row = audit("There is no indication at all that Skye was ever given cash, cannabis, vapes or a room "
                "to stay in by the male who abused her.")
    assert row["meets_cse_definition"] is False, row["reasons"]
