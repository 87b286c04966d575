# SPDX-License-Identifier: GPL-3.0-or-later
"""Who gives what to whom: the child as giver, a gift to a whole group, the price of a sale,
an exchange raised and then disproved by a record, paying in turn, a parent's gift, and
routine provision. No database; the classifier is not used."""

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


# ---- paying in turn: what two people or a group buy each other -----------------------------

@pytest.mark.parametrize("text", [
    "Girl 16 and her partner (18) take turns paying for the cinema and food.",
    "They bought each other drinks at the bar before he assaulted her.",
    "They each buy their own food at the van; he touched her in his car later.",
    "At the party everyone had chipped in for the drinks; she was assaulted upstairs.",
    "He sometimes buys her lunch and she pays for him just as often.",
    "Drinks at the party were bought by the group.",
])
def test_paying_in_turn_is_not_an_exchange(auditor, text):
    assert counted_exchange(auditor, text) == []


@pytest.mark.parametrize("text", [
    "Lads each chipped in a tenner to an older boy for time with a 14yo girl.",
    "He gives her vodka; two friends of his, who she said chip in for the drink, had sex with her too.",
    "He buys her vodka and she pays him back with sex.",
    "Older boys give her cans and weed and then take turns having sex with her.",
    "He paid for the cinema and food and then said she owed him sex.",
])
def test_an_exchange_beside_turns_or_chipping_in_still_counts(auditor, text):
    assert counted_exchange(auditor, text) != []


# ---- a parent's gift, named by or from --------------------------------------------------

@pytest.mark.parametrize("text, category", [
    ("A 12-year-old girl received a new phone from her mother for her birthday.", "phone"),
    ("The boy was given money from his mum for food; a man in the park assaulted him.", "money"),
    ("Pt says my nan gives me money every week, that's it.", "money"),
])
def test_a_parents_gift_is_not_an_exchange(reader, text, category):
    assert statuses(reader, text).get(category) == {"third_party"}


@pytest.mark.parametrize("text, category", [
    ("Girls aged 14-16 attending, receiving free shisha, vapes and lifts home from staff.", "transport"),
    ("She got a phone from the man and his mate.", "phone"),
    ("She received money from her mother's boyfriend after he abused her.", "money"),
])
def test_a_gift_from_another_still_counts(reader, text, category):
    assert "counted" in statuses(reader, text).get(category, set())


# ---- the child gives to "him" ------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "I gave him my money because he said he was broke.",
    "i keep giving him money from my job cos he says hes skint.",
    "The victim gave you money from her wages.",
])
def test_the_child_giving_to_him_is_not_an_exchange(reader, text):
    assert statuses(reader, text).get("money") == {"to_other"}


@pytest.mark.parametrize("text", [
    "She's 35 and she gives him money for cigs every time he goes round.",
    "I sent him the pics and he sent me £30 on PayPal.",
    "He gave her £20 and she gave him a blowjob.",
])
def test_money_with_him_in_the_sentence_is_not_read_as_the_childs_gift(reader, text):
    # "she" may be a woman giving to a boy; "sent him" is pictures; "he gave her" is to the child
    assert "to_other" not in statuses(reader, text).get("money", set())


# ---- routine provision -------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Boy 15 in a children's home: clothes and a phone were bought as part of his placement. A carer touched him.",
    "His PA gave him a food voucher as part of his pathway plan; he disclosed abuse by a cousin.",
])
def test_routine_provision_is_not_an_exchange(auditor, text):
    assert counted_exchange(auditor, text) == []


@pytest.mark.parametrize("text", [
    "Text from suspect: 'free ride as always, u kno how 2 say thanks'. V had sex with him.",
    "He buys her vodka as usual and she has to have sex with him in return.",
    "He gave her cannabis as normal and said she owed him.",
    "He gave her weed as usual before the sex at his flat.",
])
def test_an_exchange_given_as_usual_with_a_return_still_counts(auditor, text):
    assert counted_exchange(auditor, text) != []


# ---- raised by another's account, disproved by another source (stop 35) ----------------------

@pytest.mark.parametrize("text", [
    "Her sister told police that a man gave her a phone for sex. Her school pays for the phone, it is on her plan.",
    "Intel suggested the man paid her for sex. No financial evidence was found on review.",
    "Boy previously told staff he was given weed by the men for it. He now says that wasn't true.",
    "It was alleged he gave the girl (14) a bike for sex. Her dad produced the receipts.",
    "Girl 15 was reported by a neighbour as getting free taxis from a driver for sex. All her rides were paid by her college bursary.",
    "Log said she was given vodka by the man at the flat. She says she took the vodka from home.",
    "I asked the boy (15) was the man giving him weed. He said no, it's his own.",
])
def test_an_exchange_raised_by_another_then_disproved_is_denied(auditor, text):
    assert counted_exchange(auditor, text) == []


@pytest.mark.parametrize("text", [
    "She told police the man gave her vodka for sex. He denies the offence.",
    "Her sister told police the man gives her weed for sex, and the girl (14) confirmed this in interview.",
    "Intel suggests the man gives the girl (15) cannabis for sex; she is often missing from home.",
    "The man asked her to do sexual acts for £50 and she did.",
])
def test_a_stated_exchange_is_not_disproved_by_an_account_or_a_home(auditor, text):
    assert counted_exchange(auditor, text) != []


# ---- the child's own, handed to him (stop 35) -------------------------------------------------

@pytest.mark.parametrize("text", [
    "She had been handing him her dinner money to make him leave her alone.",
    "I gave him my phone because he said his was broken.",
    "The girl bought him cigarettes and gave him money from her Saturday job.",
])
def test_the_childs_own_handed_to_him_is_not_an_exchange(reader, text):
    assert "counted" not in {s for v in statuses(reader, text).values() for s in v}


@pytest.mark.parametrize("text, category", [
    ("He gave her his old phone and then had sex with her.", "phone"),
    ("The man gave her money from his wages every week after the sex.", "money"),
    ("He handed her £20 and told her to get in the car.", "money"),
])
def test_his_things_given_to_her_still_count(reader, text, category):
    assert "counted" in statuses(reader, text).get(category, set())


# ---- a service as the subject (stop 35) ------------------------------------------------------

@pytest.mark.parametrize("text, category", [
    ("Boy 16 sleeping rough. The night shelter gave him food and a sleeping bag; a man assaulted him in the park.", "food"),
    ("School had provided free breakfast; a cousin abused her at home.", "food"),
    ("The children's home buys her clothes every month; a man at the shop touched her.", "clothes"),
])
def test_a_service_as_the_subject_is_not_the_abuser(reader, text, category):
    assert statuses(reader, text).get(category) == {"third_party"}


@pytest.mark.parametrize("text, category", [
    ("The man at the home gave her cigarettes and touched her.", "cigarettes"),
    ("A youth worker from the hostel gave her vodka in his car.", "alcohol"),
    ("Instead of school he gives her money to stay at his flat.", "money"),
])
def test_someone_at_a_service_still_counts(reader, text, category):
    assert "counted" in statuses(reader, text).get(category, set())


# ---- money needed, and a cash machine, are not money given (stop 35) ---------------------------

@pytest.mark.parametrize("text", [
    "She said the family is struggling for money; her uncle abused her at home.",
    "Mum relies on her partner for money. He touched the girl (13) when mum was out.",
    "Earlier she was seen with her mum at the cash machine; a stranger grabbed her later.",
])
def test_money_needed_or_a_cash_machine_is_not_an_exchange(auditor, text):
    assert counted_exchange(auditor, text) == []


@pytest.mark.parametrize("text", [
    "Girl (14) has sex with men for money at the flat.",
    "He gave her cash at the cash machine and took her to his flat for sex.",
    "She was struggling at home and the man gave her £20 for sex.",
])
def test_money_given_still_counts(auditor, text):
    assert counted_exchange(auditor, text) != []


# ---- the classifier does not decide over what the child gave away (stop 35) --------------------

GIVEN_AWAY = "Girl (14) keeps buying cigarettes for an older man she likes; he has had sex with her at his flat."
GIVEN_HER = "Girl (14) says an older man keeps buying her cigarettes; he has had sex with her at his flat."


def test_the_classifier_does_not_decide_on_words_read_as_given_to_the_other_person():
    import copy

    auditor = Auditor(semantic=False)
    clf = copy.copy(auditor.classifier)
    clf.decide = clf.decide_uncued = 0.0  # it would decide on any clause it can quote
    auditor.classifier = clf
    given_away = auditor.prepare(GIVEN_AWAY)[0]
    assert [f.status for f in auditor.findings(given_away, None) if f.category == "cigarettes"] == ["to_other"]
    assert clf.explain(given_away, auditor._transaction.search) is not None
    assert auditor.weigh(given_away, [], ("buying cigarettes",))[1] == []
    assert auditor.weigh(given_away, [])[1] != []
    # the same words read as given to her are counted by the lexicon, and weighed as before
    given_her = auditor.prepare(GIVEN_HER)[0]
    assert [f.status for f in auditor.findings(given_her, None) if f.category == "cigarettes"] == ["counted"]
    # and the audit passes the lexicon's reading to it
    import pandas as pd

    from csenet.audit import audit_incidents

    for text, meets in ((GIVEN_AWAY, False), (GIVEN_HER, True)):
        incidents = pd.DataFrame([{"incident_id": "I-1", "reported_at": "2023-03-01", "occurred_at": "2023-03-01",
                                   "offence_code": "22B", "offence": "Sexual activity involving a child under 16",
                                   "flags": [], "summary": text}])
        involvements = pd.DataFrame([{"incident_id": "I-1", "person_id": "V", "role": "VICTIM"}])
        persons = pd.DataFrame([{"person_id": "V", "date_of_birth": "2008-06-01", "gender": "F", "dob_candidates": []}])
        row = audit_incidents(incidents, involvements, persons, semantic=False, classifier=clf).iloc[0]
        assert bool(row["meets_cse_definition"]) is meets, row["reasons"]


# ---- more ways a claim is raised: records describe, a rumour told to everyone (stop 35) ----------

@pytest.mark.parametrize("text", [
    "The school's records describe her as trading sex for vodka at 14. She denies this entirely.",
    "Her friend told everyone she got free weed for sleeping with him. She says she doesn't smoke.",
])
def test_a_record_or_a_rumour_then_denied_is_denied(auditor, text):
    assert counted_exchange(auditor, text) == []


@pytest.mark.parametrize("text", [
    "The records describe the man giving her vodka for sex, which she confirmed in ABE.",
    "He told everyone at the party he gave her weed for sex; she agrees he did.",
])
def test_a_record_or_a_rumour_confirmed_still_counts(auditor, text):
    assert counted_exchange(auditor, text) != []


# ---- the money went the other way (stop 35) ----------------------------------------------------

def test_a_claim_disproved_by_the_direction_of_the_money_is_denied(auditor):
    text = ("It was suggested the man paid her for sex. Bank records show the only payment went from the girl "
            "to the suspect, for a phone she bought off him.")
    assert counted_exchange(auditor, text) == []


def test_money_from_him_to_her_still_counts(auditor):
    text = ("It was suggested the man paid her for sex. Bank records show £200 went from the suspect to the girl "
            "on the nights she stayed.")
    assert counted_exchange(auditor, text) != []


# ---- both buying their own (stop 35) -----------------------------------------------------------

def test_both_buying_at_the_bar_is_not_an_exchange(auditor):
    assert counted_exchange(auditor, "They met at a festival where both were buying drinks at the bar; sex in his tent.") == []


@pytest.mark.parametrize("text", [
    "Two men were both buying her drinks at the bar and later had sex with her.",
    "They both bought her vodka and took turns having sex with her.",
])
def test_two_men_both_buying_for_her_still_counts(auditor, text):
    assert counted_exchange(auditor, text) != []


# ---- nothing given, said after the giver (stop 35) ----------------------------------------------

@pytest.mark.parametrize("text", [
    "Boy 16 buys cans for an older man he sees as a mate. The man touches him at his flat. The man has given the boy nothing.",
    "She buys his cigarettes and pays for their food. No reward to her. He forces sex.",
])
def test_nothing_given_said_after_denies_the_exchange(auditor, text):
    assert counted_exchange(auditor, text) == []


@pytest.mark.parametrize("text", [
    "He gave her vodka and weed for sex and gave her friend nothing.",
    "The man gives her cannabis for sex. Her brother gets no reward from him.",
    "He gave her cannabis before the sex. He gave her nothing else.",
    "The man paid her £20 for sex and offered her nothing more.",
])
def test_a_denial_before_or_about_another_leaves_the_exchange(auditor, text):
    assert counted_exchange(auditor, text) != []


# ---- the child's own purchase, in record shorthand (stop 35) ------------------------------------

@pytest.mark.parametrize("text, category", [
    ("MO: VICT BOUGHT VODKA W OWN MONEY. SUSP M 17. SEX ACT IN PARK.", "alcohol"),
    ("A 29yo had sex with her after getting her drunk on wine she'd brought.", "alcohol"),
])
def test_the_childs_own_purchase_in_shorthand_is_hers(reader, text, category):
    assert statuses(reader, text).get(category) == {"own"}


@pytest.mark.parametrize("text, category", [
    ("MO: SUSP BOUGHT VICT VODKA. SEX ACT IN PARK.", "alcohol"),
    ("He got her drunk on wine he'd brought and had sex with her.", "alcohol"),
])
def test_his_purchase_for_her_still_counts(reader, text, category):
    assert "counted" in statuses(reader, text).get(category, set())
