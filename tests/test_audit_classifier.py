# SPDX-License-Identifier: GPL-3.0-or-later
"""The audit's exchange classifier: it weighs the whole summary, quotes what it rests on,
outweighs the lexicon's exact words only on a clear refutation, trains offline and reproducibly.

The summaries below are written for these tests: none is in audit/labelled/ or the held-out set.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pytest

from csenet.audit import audit_incidents
from csenet.audit.classifier import ExchangeClassifier, labelled_sets
from csenet.audit.engine import Auditor

REFUTED = ("It was suggested the man gave the girl (14) vodka for sex. She has since made clear no money, drink or "
           "gifts ever changed hands; she describes being raped by him in the park.")
# a correction the lexicon does not read (it reads "bought the vodka herself": tests/test_audit_direction.py)
CORRECTED = ("It was alleged he gave her vodka for sex. CCTV shows the girl (14) buying the vodka at the shop; she "
             "says he raped her at the party.")
UNLISTED = ("Girl, 15, says the man at the garage lets her have whatever she likes from the shop as long as she "
            "keeps him happy in the back office, where he has had sex with her several times.")


def audit(summary: str, **kwargs) -> dict:
    incidents = pd.DataFrame([{"incident_id": "I-1", "reported_at": "2023-03-01", "occurred_at": "2023-03-01",
                               "offence_code": "22B", "offence": "Sexual activity involving a child under 16",
                               "flags": [], "summary": summary}])
    involvements = pd.DataFrame([{"incident_id": "I-1", "person_id": "V", "role": "VICTIM"}])
    persons = pd.DataFrame([{"person_id": "V", "date_of_birth": kwargs.pop("dob", "2008-06-01"), "gender": "F",
                             "dob_candidates": []}])
    return audit_incidents(incidents, involvements, persons, **kwargs).iloc[0].to_dict()


@pytest.fixture(scope="module")
def auditor() -> Auditor:
    return Auditor()


def test_it_scores_a_stated_exchange_high_and_a_refuted_one_low(auditor):
    clf = auditor.classifier
    assert clf is not None
    stated = clf.score(auditor.prepare("Girl aged 14 said the older man gave her cannabis and money in return for "
                                       "sex with his friends.")[0])
    refuted = clf.score(auditor.prepare(REFUTED)[0])
    assert stated >= clf.decide and refuted < clf.confirm["lexicon"]


def test_a_refuted_exchange_the_semantic_reader_reads_is_overruled_and_said_so():
    text = ("Youth worker: friends say the man looks after her with treats whenever she visits. That turned out to "
            "be false: she buys the treats herself from her own pocket money. Girl (14) disclosed he raped her.")
    without = audit(text, classifier=False)
    assert without["meets_cse_definition"] is True and "EXCHANGE:semantic(" in without["reasons"]
    row = audit(text)
    assert row["meets_cse_definition"] is False
    assert "OVERRULED:semantic(" in row["reasons"] and "NO_EXCHANGE" in row["reasons"]


def test_the_lexicon_s_exact_words_stand_down_to_their_own_bar_and_fall_on_a_clear_correction(auditor):
    """The lexicon's words stand at any score from `confirm["lexicon"]` up and are overruled
    below it, with the score and the overruled words quoted; a summary that says plainly no
    drink changed hands overrules them with the shipped settings."""
    import copy

    text = "Girl aged 14: the 54-year-old man supplied lager and touched her sexually."
    score = auditor.classifier.score(auditor.prepare(text)[0])
    for bar, stands in ((score - 0.01, True), (score + 0.01, False)):
        clf = copy.copy(auditor.classifier)
        clf.confirm = {**auditor.classifier.confirm, "lexicon": bar}
        row = audit(text, classifier=clf)
        assert "CLASSIFIER:%.2f" % score in row["reasons"]
        assert row["meets_cse_definition"] is stands
        assert ('EXCHANGE:alcohol("supplied lager")' if stands else 'OVERRULED:alcohol("supplied lager")') in row["reasons"]
    row = audit(CORRECTED)
    assert audit(CORRECTED, classifier=False)["meets_cse_definition"] is True
    assert row["meets_cse_definition"] is False and "OVERRULED:alcohol(" in row["reasons"]


def test_an_exchange_no_reader_lists_is_decided_by_the_classifier_with_its_evidence(auditor):
    clf = auditor.classifier
    decision = clf.explain(auditor.prepare(UNLISTED)[0])
    assert decision.score >= clf.decide and decision.terms and decision.clause in auditor.prepare(UNLISTED)[0]
    row = audit(UNLISTED, semantic=False)
    assert audit(UNLISTED, semantic=False, classifier=False)["meets_cse_definition"] is False
    assert row["meets_cse_definition"] is True and row["confidence"] == "medium"
    reason = next(r for r in row["reasons"].split(";") if r.startswith("EXCHANGE:classifier("))
    score, quoted = reason[len("EXCHANGE:classifier("):-1].split(",", 1)
    clause, terms = quoted.split("~")
    assert float(score) >= clf.decide and clause.strip('"') and all(t in terms for t in decision.terms)


UNCUED = ("Girl (15) texted her friend: omw 2 his again, least i get 2 eat. She has disclosed sex with the man "
          "at each visit.")


def test_without_a_word_of_transaction_it_decides_only_at_the_higher_bar_on_a_thing_had(auditor):
    """"least i get 2 eat" holds no word of transaction (gave, paid …): the classifier decides on it only
    at `decide_uncued`, and only on a clause with a thing had or a condition set; a summary with neither
    is never an exchange, whatever it scores."""
    import copy

    clf = auditor.classifier
    score = clf.score(auditor.prepare(UNCUED)[0])
    assert clf.decide <= score and clf.explain(auditor.prepare(UNCUED)[0], auditor._transaction.search) is None
    for bar, decided in ((score - 0.01, True), (score + 0.01, False)):
        moved = copy.copy(clf)
        moved.decide_uncued = bar
        row = audit(UNCUED, semantic=False, classifier=moved)
        assert row["meets_cse_definition"] is decided, row["reasons"]
        assert ('least i get 2 eat"~' if decided else "NO_EXCHANGE") in row["reasons"]
    bare = "She disclosed sexual activity with the men at the flat."
    moved = copy.copy(clf)
    moved.decide_uncued = 0.0
    assert audit(bare, classifier=moved)["meets_cse_definition"] is False


def test_it_reads_only_a_child_s_sexual_offence():
    adult = audit(UNLISTED.replace("Girl, 15", "Woman, 25"), dob="1998-01-01")
    assert "CLASSIFIER:" not in adult["reasons"] and adult["meets_cse_definition"] is False
    theft = audit_incidents(
        pd.DataFrame([{"incident_id": "I-2", "reported_at": "2023-03-01", "occurred_at": None, "offence_code": "46",
                       "offence": "Shoplifting", "flags": [], "summary": "Girl aged 14 took vodka from the shop."}]),
        pd.DataFrame([{"incident_id": "I-2", "person_id": "V", "role": "VICTIM"}]),
        pd.DataFrame([{"person_id": "V", "date_of_birth": "2008-06-01", "gender": "F", "dob_candidates": []}]))
    assert "CLASSIFIER:" not in theft["reasons"].iloc[0]


def test_it_can_be_switched_off_and_names_itself_in_the_version():
    on, off = audit(UNLISTED), audit(UNLISTED, classifier=False)
    assert "+classifier-exchange-lr-" in on["audit_version"] and "+classifier-" not in off["audit_version"]
    assert "CLASSIFIER:" not in off["reasons"]


def test_training_is_reproducible_and_its_version_follows_the_data(auditor):
    prepare = lambda t: auditor.prepare(t)[0]  # noqa: E731
    sets = labelled_sets()
    a, b = ExchangeClassifier(prepare, sets), ExchangeClassifier(prepare, sets)
    texts = [prepare(REFUTED), prepare(UNLISTED)]
    assert a.version == b.version and list(a.scores(texts)) == list(b.scores(texts))
    fewer = ExchangeClassifier(prepare, {k: v for k, v in sets.items() if k != "dev6"})
    assert fewer.version != a.version and "dev6" not in fewer.trained_on


def test_bad_training_data_is_refused_with_its_file_named(tmp_path):
    (tmp_path / "x.csv").write_text("text,label,writer\nsome summary,maybe,custody\n")
    with pytest.raises(ValueError, match=r"x\.csv: unknown labels \['maybe'\]"):
        labelled_sets(tmp_path)
    with pytest.raises(ValueError, match="needs labelled summaries"):
        ExchangeClassifier(str, {})


def test_it_trains_and_scores_with_the_network_refused_in_a_fresh_process():
    code = ("import socket\n"
            "def refuse(*a, **k):\n    raise OSError('network')\n"
            "socket.socket.connect = refuse\nsocket.create_connection = refuse\n"
            "from csenet.audit.engine import Auditor\n"
            "a = Auditor()\n"
            "print(a.classifier.score(a.prepare(%r)[0]))\n" % UNLISTED)
    env = dict(os.environ, HF_HUB_OFFLINE="1", HTTPS_PROXY="http://127.0.0.1:9", HTTP_PROXY="http://127.0.0.1:9")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr
    assert float(out.stdout.strip()) >= 0.8


def test_the_pipeline_s_audit_version_is_named_without_training_the_model():
    """current_version() (what decides which verdicts are stale) must name exactly the model
    the audit trains, or every load would re-audit everything, or nothing after a retraining."""
    from csenet.audit.engine import Auditor, current_version

    assert current_version() == Auditor().version
    assert "+classifier-exchange-lr-" in current_version()


def test_a_fitted_model_kept_for_the_next_process_scores_as_the_one_trained(tmp_path, monkeypatch):
    """The kept arrays give the trained model's scores exactly; a damaged file is trained again."""
    import numpy as np

    from csenet.audit.classifier import ExchangeClassifier, fitted_cache, labelled_sets
    from csenet.audit.engine import Auditor

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    auditor = Auditor(classifier=False)
    sets = {k: v for k, v in labelled_sets().items() if k in ("dev3", "dev4")}
    texts = [auditor.prepare(t)[0] for t in labelled_sets()["dev5"]["text"]]

    def trained(prepared_by):
        return ExchangeClassifier(lambda t: auditor.prepare(t)[0], sets, prepared_by=prepared_by)

    from sklearn.linear_model import LogisticRegression

    first = trained("p1")
    kept = list(fitted_cache().glob("*.npz"))
    assert len(kept) == 1 and kept[0].name.startswith(first.version)
    with monkeypatch.context() as m:
        m.setattr(LogisticRegression, "fit", lambda *a, **k: pytest.fail("trained again, not read back"))
        np.testing.assert_array_equal(trained("p1").scores(texts), first.scores(texts))

    trained("p2")  # prepared another way: fitted and kept apart
    assert len(list(fitted_cache().glob("*.npz"))) == 2

    kept[0].write_bytes(b"not an npz")
    np.testing.assert_array_equal(trained("p1").scores(texts), first.scores(texts))
