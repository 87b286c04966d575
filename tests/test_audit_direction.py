# SPDX-License-Identifier: GPL-3.0-or-later
"""Who gives what to whom: the child as giver, a gift to a whole group, the price of a sale,
and an exchange raised and then disproved by a record. No database; the classifier is not used."""

from __future__ import annotations

import pytest

from csenet.audit.engine import Auditor
from csenet.audit.lexicon import default_lexicon
from csenet.audit.text import Reader


@pytest.fixture(scope="module")
def reader() -> Reader:
    return Reader(default_lexicon())


@pytest.fixture(scope="module")
def auditor() -> Auditor:
    return Auditor(classifier=False)


def statuses(reader: Reader, text: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for f in reader.read(text):
        out.setdefault(f.category, set()).add(f.status)
    return out


def counted_exchange(auditor: Auditor, text: str) -> list[str]:
    """Categories the lexicon and semantic readers count as an exchange or gain, after `settle`."""
    t = auditor.prepare(text)[0]
    return [f.category for f in auditor.findings(t, None) if f.counted and f.kind in ("exchange", "gain")]


# ---- the child gives to the other person -------------------------------------------------

@pytest.mark.parametrize("text, category", [
    ("The complainant (15) gave the defendant £50 she had saved.", "money"),
    ("The boy gave the yard owner cigarettes and cash because the owner asked.", "money"),
    ("She has been buying her neighbour (32) fags out of her pocket money.", "cigarettes"),
    ("Holly, 14, gives her older boyfriend, 20, money from her savings.", "money"),
    ("Boy 13 buys cigarettes for an older man he sees as a friend.", "cigarettes"),
])
def test_what_the_child_gives_the_other_person_is_not_an_exchange(reader, text, category):
    assert statuses(reader, text).get(category) == {"to_other"}


@pytest.mark.parametrize("text, category", [
    ("The suspect gave her £20 after they had sex.", "money"),
    ("The men paid the suspect £50 to have sex with her.", "perpetrator_gain"),
    ("Men gave the boyfriend money and then had sex with her.", "money"),
    ("He gave her and her friend vodka and cannabis.", "alcohol"),
    ("The adult offered a 12yo male a phone and 50 quid to meet.", "phone"),
])
def test_what_the_child_is_given_still_counts(reader, text, category):
    assert "counted" in statuses(reader, text).get(category, set())


def test_a_semantic_match_takes_the_lexicons_reading_of_the_same_words(auditor):
    # the semantic reader alone would read "gave ... £50" as the man giving her money
    assert counted_exchange(auditor, "The complainant (15) gave the defendant £50 she had saved.") == []


# ---- a gift to everyone, the price of a sale --------------------------------------------

@pytest.mark.parametrize("text, category", [
    ("Grandad gives all the grandchildren a fiver on a Sunday.", "money"),
    ("He routinely gave V and her siblings sweets on visits.", "gifts"),
    ("The coach gave the whole squad lifts to away games.", "transport"),
])
def test_a_gift_to_a_whole_group_is_benign(reader, text, category):
    assert statuses(reader, text).get(category) == {"benign"}


def test_substances_handed_to_a_group_of_children_still_count(reader):
    assert "counted" in statuses(reader, "The men gave all the kids at the party vodka.").get("alcohol", set())


def test_the_price_of_a_sale_is_not_a_gift(reader):
    assert statuses(reader, "S sold V a second-hand phone for £80.").get("money") == {"not_a_gift"}
    assert statuses(reader, "Her father sold a horse to a man from town for cash.").get("money") == {"not_a_gift"}
    # the child sold is the perpetrator's gain, and what she was sold for still counts
    found = statuses(reader, "He sold her to his friends for £50 a time.")
    assert found.get("perpetrator_gain") == {"counted"} and found.get("money") == {"counted"}
    assert "counted" in statuses(reader, "She was sold by her ex to his mate for £100.").get("money", set())


def test_selling_her_things_is_not_selling_her(reader):
    assert "perpetrator_gain" not in statuses(reader, "15yo F sold her old phone to the suspect online.")
    assert statuses(reader, "He was selling her to other men.").get("perpetrator_gain") == {"counted"}


# ---- raised, then disproved by a record --------------------------------------------------

@pytest.mark.parametrize("text", [
    "Referral said man gave him a games console. Parents show invoice - bought by them.",
    "File 30. Initial report said she received a phone from the suspect. Phone found to be a contract in her mother's name.",
    "Anonymous email alleged he gave her cash and weed for sex. Found to be malicious after police review.",
    "Alert on cust for payments from men suspected to be for access to a girl (15). Payments were for car parts, invoices seen.",
    "Witness alleged D (15) was paid by men. Witness later admitted to making it up.",
])
def test_an_exchange_raised_then_disproved_is_denied(auditor, text):
    assert counted_exchange(auditor, text) == []


@pytest.mark.parametrize("text", [
    "A 58-year-old man paid a 15-year-old girl's bus fares and gave her spending money while abusing her, a jury heard. He denies the charges.",
    "Intel suggests the man gives the girl (15) cocaine for sex; she confirmed it in ABE.",
    "The man who brought her to the UK provided accommodation and food and she had to have sex with him to repay the journey.",
])
def test_a_stated_exchange_is_not_disproved_by_a_denial_or_a_repayment(auditor, text):
    assert counted_exchange(auditor, text) != []
