# SPDX-License-Identifier: GPL-3.0-or-later
"""The audit's semantic reader: exchange by meaning, scoped like the lexicon, quoted, offline.

The phrasings below are written for these tests: none is an exemplar in audit/semantic.yaml,
a lexicon phrase, or a sentence of the evaluation sets.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pandas as pd
import pytest

from csenet.audit import audit_incidents
from csenet.audit.lexicon import default_lexicon
from csenet.audit.semantic import SemanticReader, default_semantic_reader, load_exemplars
from csenet.audit.text import normalise


@pytest.fixture(scope="module")
def semantic() -> SemanticReader:
    return default_semantic_reader(default_lexicon())


def found(reader: SemanticReader, text: str) -> dict[str, str]:
    """family category -> status of each semantic finding."""
    return {f.category: f.status for f in reader.read_normalised(normalise(text))}


def audit(summary: str, **kwargs) -> dict:
    incidents = pd.DataFrame([{"incident_id": "I-1", "reported_at": "2023-03-01", "occurred_at": "2023-03-01",
                               "offence_code": "22B", "offence": "Sexual activity involving a child under 16",
                               "flags": [], "summary": summary}])
    involvements = pd.DataFrame([{"incident_id": "I-1", "person_id": "V", "role": "VICTIM"}])
    persons = pd.DataFrame([{"person_id": "V", "date_of_birth": "2008-06-01", "gender": "F",
                             "dob_candidates": ["2008-06-01"]}])
    return audit_incidents(incidents, involvements, persons, **kwargs).iloc[0].to_dict()


@pytest.mark.parametrize("family, text", [
    ("given", "The man got her new clothes and a handbag."),
    ("given", "the older lad always had a spliff ready for her when she got there"),
    ("promised", "He told her she would get a brand new laptop if she came round to his."),
    ("in_return", "She felt she owed him for everything and had to pay it back with sex."),
    ("perpetrator_gain", "He was making money by letting other men have sex with her."),
    ("hosted", "When she had nowhere else to go the man let her sleep on his sofa, as long as she kept him happy."),
    ("outings", "The older male took her out to fancy restaurants and hotels at weekends."),
    ("plied", "The two men got the girls drunk on spirits in the flat before abusing them."),
    ("status_protection", "She was told being with him gave her status on the estate."),
])
def test_each_family_is_recognised_on_unseen_phrasing(semantic, family, text):
    assert found(semantic, text).get("semantic_" + family) == "counted", semantic.read_normalised(normalise(text))


def test_an_exchange_the_lexicon_misses_meets_the_definition_and_is_quoted():
    text = "Girl aged 14 said the older man always sorted her out whenever she came round, then he had sex with her."
    assert audit(text, semantic=False, classifier=False)["meets_cse_definition"] is False
    row = audit(text, classifier=False)
    assert row["meets_cse_definition"] is True and row["confidence"] == "medium"
    reason = next(r for r in row["reasons"].split(";") if r.startswith("EXCHANGE:semantic("))
    # reader, family, score, the clause and the exemplar it matched
    family, score, quoted = reason[len("EXCHANGE:semantic("):-1].split(",", 2)
    assert family in {"given", "promised", "in_return", "perpetrator_gain"} and 0.5 <= float(score) <= 1.0
    clause, exemplar = quoted.split("~")
    assert "always sorted her out" in clause
    assert exemplar.strip('"') in {e for f in load_exemplars()["families"].values() for e in f["exemplars"]}
    assert "+semantic-tokenlearn-static-model" in row["audit_version"] and row["audit_version"].startswith("audit-3")


def test_findings_carry_reader_exemplar_and_score(semantic):
    f = semantic.read_normalised(normalise("the man always had weed waiting for her at the flat"))[0]
    assert f.reader == "semantic" and f.exemplar and 0 < f.score <= 1 and "weed" in f.evidence


def test_negation_applies_to_semantic_matches(semantic):
    assert set(found(semantic, "He never had anything waiting for her at the flat.").values()) == {"negated"}
    row = audit("He never had anything waiting for her at the flat; he had sex with her.")
    assert row["meets_cse_definition"] is False and "NEGATED:semantic(" in row["reasons"]


def test_a_non_perpetrator_giver_is_not_an_exchange(semantic):
    statuses = found(semantic, "her nan always had sweets and pocket treats waiting for her after school")
    assert statuses and "counted" not in statuses.values()
    row = audit("Her nan always had treats waiting for her after school. A boy in her class touched her.")
    assert row["meets_cse_definition"] is False


def test_no_transaction_no_semantic_reading(semantic):
    """A clause with no word of giving, getting, paying or owing is not scored at all."""
    assert semantic.spans(normalise("She was 13 when her stepfather started touching her at night.")) == []
    assert audit("She was 13 when her stepfather started touching her at night.")["meets_cse_definition"] is False


def test_the_lexicon_decides_first():
    row = audit("Girl aged 14: he supplied cider and later had sex with her.")
    assert "EXCHANGE:alcohol(" in row["reasons"] and "semantic(" not in row["reasons"]


def test_semantic_reader_can_be_switched_off():
    row = audit("Girl aged 14 said the older man always sorted her out whenever she came round, then he had sex "
                "with her.", semantic=False, classifier=False)
    assert "+semantic-" not in row["audit_version"] and row["meets_cse_definition"] is False


def test_works_with_no_network(monkeypatch):
    """Model load and scoring make no connection: any socket connect raises."""
    def refuse(*args, **kwargs):
        raise OSError("network use during the audit")

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    reader = SemanticReader(default_lexicon())   # a fresh model load under the ban
    assert "semantic_given" in found(reader, "the older man always had weed waiting for her at the flat")


def test_works_offline_in_a_fresh_process():
    """A new interpreter with HF_HUB_OFFLINE=1 and no proxy reachable loads the shipped model."""
    code = ("import socket\n"
            "def refuse(*a, **k):\n    raise OSError('network')\n"
            "socket.socket.connect = refuse\nsocket.create_connection = refuse\n"
            "from csenet.audit.lexicon import default_lexicon\n"
            "from csenet.audit.semantic import SemanticReader\n"
            "r = SemanticReader(default_lexicon())\n"
            "print(len(r.read_normalised('he always had weed waiting for her at the flat')))\n")
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HTTPS_PROXY="http://127.0.0.1:9",
               HTTP_PROXY="http://127.0.0.1:9")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout.strip()) >= 1


def test_exemplar_file_errors_are_clear(tmp_path):
    bad = tmp_path / "x.yaml"
    bad.write_text("families:\n  given:\n    kind: sexual\n    exemplars: [a]\nnone: [b]\n")
    with pytest.raises(Exception, match="families.given needs kind exchange"):
        load_exemplars(bad)


def test_a_negation_after_the_transaction_does_not_undo_it(semantic):
    """'could not refuse' follows the giving; 'never had anything' precedes it."""
    statuses = found(semantic, "the two men always had cannabis waiting for her and she felt she could not refuse them")
    assert "counted" in statuses.values()


def test_a_giver_named_after_the_thing_is_read(semantic):
    statuses = found(semantic, "she always had a lift waiting for her by her foster carer after school")
    assert "counted" not in statuses.values()


@pytest.mark.parametrize("summary", [
    # an earlier account corrected by a later finding
    "A neighbour reported that the man was handing the girl (14) cash. Checks showed he was giving her back "
    "a purse she had left on the bus. She has since disclosed that he touched her sexually.",
    # an innocent source found for the thing
    "The original referral described the boy (13) as getting trainers off the suspect for sex; the trainers "
    "were bought by his older brother. The boy was sexually assaulted by the suspect.",
    # a retraction
    "Initially the girl, 15, was recorded as being given vodka in exchange for sex. This was recorded in error "
    "and has been amended; she was raped by an adult at a party.",
])
def test_an_exchange_raised_then_corrected_does_not_count(summary):
    out = audit(summary)
    assert not out["meets_cse_definition"], out["reasons"]


def test_a_correction_before_the_raised_words_corrects_nothing():
    """Corrections count only after what they correct: "info from her sister" is a source."""
    out = audit("Information from her sister is that the girl (15) is thought to be getting money from older "
                "men for sex; the girl confirms it.")
    assert out["meets_cse_definition"], out["reasons"]
