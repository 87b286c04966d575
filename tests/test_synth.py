"""The synthetic force generator: deterministic, follows the record-bundle contract,
and its ground truth says what the audit and network detection will be scored on."""

from __future__ import annotations

import importlib
import re
import time
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from csenet.synth import generate
from csenet.synth.force import ADULT_GIFT, NET_ADULT, SUSPECT, VICTIM
from csenet.loaders.spec import FILES as SPEC_FILES
from csenet.synth.people import age_years, birthday, dob_turning, new_people_table
from csenet.synth.table import Table
from csenet.synth.truth import derive

BUNDLE_HEADERS = {f.name + ".csv": list(f.column_names) for f in SPEC_FILES}
TRUTH_HEADERS = {
    "persons.csv": ["record_id", "true_person_id"],
    "networks.csv": ["network_id", "kind", "true_person_id", "member_role"],
    "incidents.csv": ["incident_id", "meets_cse_definition", "is_cce", "network_id"],
    "expected_rejects.csv": ["file", "line", "key", "reason"],
}
NETWORK_KINDS = {"OCG", "LOOSE_ASSOCIATES", "ONLINE", "FACILITATED", "MULTI_ADULT"}
ALL_KINDS = NETWORK_KINDS | {"LONE_OFFENDER", "INTRAFAMILIAL", "CCE_COUNTY_LINES"}
ROLES = {"VICTIM", "SUSPECT", "OFFENDER", "WITNESS", "REPORTER", "OTHER"}
LOCATION_KINDS = {"RESIDENTIAL", "HOTEL", "TAKEAWAY", "PARK", "SCHOOL", "CARE_HOME", "VEHICLE", "ONLINE", "SHOP", "OTHER"}
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?)?$")


def read(root: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(root / name, dtype=str, keep_default_na=False)


def is_datetime(value: str) -> bool:
    if not DATETIME.match(value):
        return False
    try:
        pd.Timestamp(value)
    except ValueError:
        return False
    return True


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> tuple[Path, dict, float]:
    out = tmp_path_factory.mktemp("small")
    t0 = time.perf_counter()
    counts = generate(out, scale="small", seed=7)
    return out, counts, time.perf_counter() - t0


@pytest.fixture(scope="module")
def files(small):
    root = small[0]
    names = list(BUNDLE_HEADERS) + [f"truth/{n}" for n in TRUTH_HEADERS] + ["truth/expected_warnings.csv"]
    return {n: read(root, n) for n in names}


@pytest.fixture(scope="module")
def rejected(files) -> dict[str, set[int]]:
    """0-based row positions of the deliberately bad rows, per file."""
    out: dict[str, set[int]] = {}
    for r in files["truth/expected_rejects.csv"].itertuples():
        out.setdefault(r.file, set()).add(int(r.line) - 2)
    return out


def valid(files, rejected, name: str) -> pd.DataFrame:
    df = files[name]
    return df[~df.index.isin(rejected.get(name, set()))]


def test_small_is_fast(small):
    assert small[2] < 10


def test_same_seed_same_bytes_other_seed_differs(small, tmp_path):
    root = small[0]
    again = tmp_path / "again"
    generate(again, scale="small", seed=7)
    for path in sorted(root.rglob("*")):
        if path.is_file():
            assert path.read_bytes() == (again / path.relative_to(root)).read_bytes(), path.name
    other = tmp_path / "other"
    generate(other, scale="small", seed=8)
    assert (other / "incidents.csv").read_bytes() != (root / "incidents.csv").read_bytes()
    assert (other / "person_records.csv").read_bytes() != (root / "person_records.csv").read_bytes()


def test_headers_follow_the_contract(small):
    root = small[0]
    for name, cols in BUNDLE_HEADERS.items():
        assert (root / name).read_text(encoding="utf-8").splitlines()[0].split(",") == cols, name
    for name, cols in TRUTH_HEADERS.items():
        assert (root / "truth" / name).read_text(encoding="utf-8").splitlines()[0].split(",") == cols, name
    meta = (root / "bundle.yaml").read_text()
    assert "source:" in meta and "force:" in meta and "extracted_at:" in meta


def test_summary_counts_rows(small, files):
    counts = small[1]
    for name in BUNDLE_HEADERS:
        assert counts[name] == len(files[name])


def test_references_resolve_except_listed_bad_rows(files, rejected):
    inc = set(valid(files, rejected, "incidents.csv").incident_id)
    rec = set(valid(files, rejected, "person_records.csv").record_id)
    loc = set(files["locations.csv"].location_id)
    inv = valid(files, rejected, "involvements.csv")
    assert set(inv.incident_id) <= inc
    assert set(inv.record_id) <= rec
    assert set(inv.role) <= ROLES
    assoc = valid(files, rejected, "associations.csv")
    assert set(assoc.record_id_a) | set(assoc.record_id_b) <= rec
    assert set(valid(files, rejected, "identifiers.csv").record_id) <= rec
    assert set(valid(files, rejected, "ocg_members.csv").record_id) <= rec
    miss = valid(files, rejected, "missing_episodes.csv")
    assert set(miss.record_id) <= rec
    assert set(miss.found_location_id) - {""} <= loc
    assert set(files["incidents.csv"].location_id) - {""} <= loc
    assert len(set(files["incidents.csv"].incident_id)) == len(files["incidents.csv"])
    assert len(set(files["person_records.csv"].record_id)) == len(files["person_records.csv"])
    assert len(loc) == len(files["locations.csv"])


def test_values_are_well_formed_except_listed_bad_rows(files, rejected):
    inc = valid(files, rejected, "incidents.csv")
    assert inc.reported_at.map(is_datetime).all()
    assert inc.occurred_at[inc.occurred_at != ""].map(is_datetime).all()
    assert (inc.offence != "").all()
    people = valid(files, rejected, "person_records.csv")
    assert (people.family_name != "").all()
    assert set(people.gender) <= {"M", "F", "X", ""}
    assert set(people.source) <= {"RMS", "CUSTODY", "INTEL", "SOCIAL_CARE"}
    assert set(files["locations.csv"].kind) == LOCATION_KINDS
    ident = valid(files, rejected, "identifiers.csv")
    assert (ident.value != "").all() and set(ident.kind) == {"PHONE", "VEHICLE", "EMAIL", "SOCIAL"}
    assert valid(files, rejected, "missing_episodes.csv").started_at.map(is_datetime).all()
    assert set(files["associations.csv"].kind) <= {"ASSOCIATE", "FAMILY", "PARTNER", "ONLINE_CONTACT", "CO_ACCUSED"}


def test_every_bad_row_is_listed_and_really_bad(files, rejected):
    rej = files["truth/expected_rejects.csv"]
    assert 5 <= len(rej) <= 0.002 * sum(len(files[n]) for n in BUNDLE_HEADERS) + 20
    for r in rej.itertuples():
        row = files[r.file].iloc[int(r.line) - 2]
        if r.file == "incidents.csv":
            assert row.incident_id == r.key and not is_datetime(row.reported_at)
        elif r.file == "person_records.csv":
            assert row.record_id == r.key and row.family_name == ""
        elif r.file == "involvements.csv":
            assert "|".join([row.incident_id, row.record_id, row.role]) == r.key
            assert row.role not in ROLES or row.record_id not in set(files["person_records.csv"].record_id)
        elif r.file == "missing_episodes.csv":
            assert not is_datetime(row.started_at)
    warn = files["truth/expected_warnings.csv"]
    assert len(warn)
    people = files["person_records.csv"]
    for w in warn.itertuples():
        row = people.iloc[int(w.line) - 2]
        assert row.record_id == w.key and not is_datetime(row.date_of_birth)
    full = people.date_of_birth.str.fullmatch(r"\d{4}-\d{2}-\d{2}")
    assert (~people.loc[full, "date_of_birth"].map(is_datetime)).sum() == len(warn)


def test_truth_covers_every_valid_row(files, rejected):
    tp = files["truth/persons.csv"]
    assert set(tp.record_id) == set(valid(files, rejected, "person_records.csv").record_id)
    ti = files["truth/incidents.csv"]
    assert set(ti.incident_id) == set(valid(files, rejected, "incidents.csv").incident_id)
    assert set(ti.meets_cse_definition) == {"true", "false"} and set(ti.is_cce) == {"true", "false"}
    tn = files["truth/networks.csv"]
    assert set(tn.kind) == ALL_KINDS
    assert set(tn.member_role) == {"PERPETRATOR", "FACILITATOR", "VICTIM"}
    assert set(tn.true_person_id) <= set(tp.true_person_id)
    assert set(ti.network_id) - {""} <= set(tn.network_id)
    assert not ((ti.is_cce == "true") & (ti.meets_cse_definition == "true")).any()


def test_networks_of_every_kind_with_realistic_sizes(files):
    tn = files["truth/networks.csv"]
    nets = tn[tn.kind.isin(NETWORK_KINDS)]
    assert set(nets.kind) == NETWORK_KINDS
    adults = nets[nets.member_role != "VICTIM"].groupby("network_id").size()
    assert adults.min() >= 2 and adults.max() <= 13
    victims = nets[nets.member_role == "VICTIM"].groupby("network_id").size()
    assert victims.min() >= 1 and victims.max() <= 7
    fac = nets[nets.member_role == "FACILITATOR"]
    assert set(fac.network_id) == set(nets[nets.kind == "FACILITATED"].network_id)
    lone = tn[tn.kind == "LONE_OFFENDER"]
    assert (lone[lone.member_role == "PERPETRATOR"].groupby("network_id").size() == 1).all()


def test_some_networks_overlap(files):
    tn = files["truth/networks.csv"]
    nets = tn[tn.kind.isin(NETWORK_KINDS)]
    shared = nets.groupby("true_person_id").network_id.nunique()
    assert (shared > 1).any()


def test_ocg_networks_are_mapped_and_others_are_not(files, rejected):
    tn, tp = files["truth/networks.csv"], files["truth/persons.csv"]
    ocg = valid(files, rejected, "ocg_members.csv").merge(tp, on="record_id")
    mapped = set(ocg.true_person_id)
    perps = tn[tn.member_role == "PERPETRATOR"]
    for net, members in perps[perps.kind == "OCG"].groupby("network_id"):
        assert len(set(members.true_person_id) & mapped) >= 2, net
    others = perps[perps.kind.isin(NETWORK_KINDS - {"OCG"})]
    ocg_perps = set(perps[perps.kind == "OCG"].true_person_id)
    assert not (set(others.true_person_id) - ocg_perps) & mapped
    assert set(ocg.primary_crime) >= {"DRUGS"}
    cse_ocgs = ocg[ocg.primary_crime == "CSE"]
    assert set(cse_ocgs.true_person_id) <= ocg_perps


def test_recorded_cse_flag_is_wrong_as_often_as_the_inquiry_found(files, rejected):
    inc = valid(files, rejected, "incidents.csv").merge(files["truth/incidents.csv"], on="incident_id")
    flagged = inc["flags"].str.split(";").map(lambda f: "CSE" in f)
    meets = inc.meets_cse_definition == "true"
    tp = (flagged & meets).sum()
    precision, recall = tp / flagged.sum(), tp / meets.sum()
    assert 0.5 <= precision <= 0.7 and 0.5 <= recall <= 0.7
    cce = inc.is_cce == "true"
    assert (flagged & cce).any(), "some county lines incidents carry the CSE flag"
    assert 0.005 < meets.mean() < 0.2


def _modal_dob(files) -> pd.Series:
    people = files["person_records.csv"].merge(files["truth/persons.csv"], on="record_id")
    full = people[people.date_of_birth.map(is_datetime) & people.date_of_birth.str.fullmatch(r"\d{4}-\d{2}-\d{2}")]
    return full.groupby("true_person_id").date_of_birth.agg(lambda s: s.mode().iloc[0]).map(pd.Timestamp)


def _age(dob: pd.Timestamp, when: pd.Timestamp) -> int:
    return when.year - dob.year - ((when.month, when.day) < (dob.month, dob.day))


def test_cse_victims_are_children_on_the_day(files, rejected):
    dob = _modal_dob(files)
    inc = valid(files, rejected, "incidents.csv").merge(files["truth/incidents.csv"], on="incident_id")
    inv = valid(files, rejected, "involvements.csv").merge(files["truth/persons.csv"], on="record_id")
    victims = inv[inv.role == "VICTIM"].merge(inc, on="incident_id")
    checked = bad = 0
    for r in victims.itertuples():
        if r.true_person_id not in dob.index:
            continue
        when = pd.Timestamp((r.occurred_at or r.reported_at)[:10])
        age = _age(dob[r.true_person_id], when)
        if r.meets_cse_definition == "true":
            checked += 1
            bad += age >= 18
    assert checked > 50 and bad / checked < 0.01
    tn = files["truth/networks.csv"]
    net_victims = set(tn[(tn.kind.isin(NETWORK_KINDS)) & (tn.member_role == "VICTIM")].true_person_id)
    net_inc = victims[victims.true_person_id.isin(net_victims) & victims.network_id.str.startswith("NET")]
    assert (net_inc.meets_cse_definition == "true").mean() > 0.75


def test_hard_cases_are_present(files, rejected):
    inc = valid(files, rejected, "incidents.csv").merge(files["truth/incidents.csv"], on="incident_id")
    no = inc[inc.meets_cse_definition == "false"]
    sexual_codes = {"17A", "17B", "19C", "19D", "19E", "19F", "19G", "19H", "20A", "20B", "21", "22A", "22B", "23"}
    assert no.offence_code.isin(sexual_codes).sum() >= 20
    assert no.summary.str.contains("denies receiving|no suggestion that anything|nothing was offered", case=False).any()
    assert no.summary.str.contains("aged 18|18-year-old|\\(18\\)|, 18", regex=True).any()
    yes = inc[inc.meets_cse_definition == "true"]
    assert yes.summary.str.contains("17").any()
    assert (inc["flags"].str.contains("CCE") & (inc.is_cce == "true")).any()


def test_person_records_vary_like_real_ones(files, rejected):
    people = valid(files, rejected, "person_records.csv").merge(files["truth/persons.csv"], on="record_id")
    per_person = people.groupby("true_person_id").size()
    assert per_person.max() >= 8 and (per_person == 1).any()
    dob = people.date_of_birth
    assert 0.12 < (dob == "").mean() < 0.3
    assert dob.str.fullmatch(r"\d{4}").any() and dob.str.fullmatch(r"\d{4}-\d{2}").any()
    assert people.phone.str.startswith("+44").any() and people.phone.str.contains(" ").any()
    assert (people.national_id != "").mean() < 0.2
    names = people.groupby("true_person_id").given_names.nunique()
    assert (names > 1).any()
    same_name = people.groupby(["family_name", "given_names"]).true_person_id.nunique()
    assert (same_name > 1).sum() >= 5
    # Common surnames are common among people (a record count is swayed by one prolific family).
    common = people.groupby("family_name").true_person_id.nunique().sort_values(ascending=False, kind="stable")
    assert common.index[0] in {"Smith", "Jones", "Khan", "Williams", "Taylor", "Brown", "Davies", "Ahmed"}
    ident = files["identifiers.csv"]
    assert ident.value.str.match(r"^[a-z]+:").any()


def test_facilitator_knows_the_child_before_the_others_do(files, rejected):
    tn, tp = files["truth/networks.csv"], files["truth/persons.csv"]
    rec_person = dict(zip(tp.record_id, tp.true_person_id))
    inc = valid(files, rejected, "incidents.csv").set_index("incident_id")
    inv = valid(files, rejected, "involvements.csv")
    inv = inv.assign(person=inv.record_id.map(rec_person), when=inv.incident_id.map(lambda i: (inc.occurred_at.get(i) or inc.reported_at.get(i))[:10]))
    assoc = valid(files, rejected, "associations.csv")
    assoc = assoc.assign(a=assoc.record_id_a.map(rec_person), b=assoc.record_id_b.map(rec_person))
    ok = total = 0
    for net, members in tn[tn.kind == "FACILITATED"].groupby("network_id"):
        fac = set(members[members.member_role == "FACILITATOR"].true_person_id)
        perps = set(members[members.member_role == "PERPETRATOR"].true_person_id)
        for child in members[members.member_role == "VICTIM"].true_person_id:
            mine = inv[inv.person == child].incident_id
            with_perp = inv[inv.incident_id.isin(mine) & inv.person.isin(perps)].when
            links = assoc[((assoc.a == child) & assoc.b.isin(fac)) | ((assoc.b == child) & assoc.a.isin(fac))].recorded_at
            met = inv[inv.incident_id.isin(mine) & inv.person.isin(fac)].when
            first_link = min(list(links) + list(met), default=None)
            if len(with_perp) and first_link is not None:
                total += 1
                ok += first_link <= with_perp.min()
    assert total and ok / total > 0.8


def test_components_hold_several_groups(files, rejected):
    """Shared members, shared victims and ordinary associations join planted groups."""
    tp = files["truth/persons.csv"]
    rec_person = dict(zip(tp.record_id, tp.true_person_id))
    g = nx.Graph()
    inv = valid(files, rejected, "involvements.csv")
    for _, rows in inv.groupby("incident_id"):
        people = [rec_person[r] for r in rows.record_id]
        g.add_edges_from((people[0], p) for p in people[1:])
    assoc = valid(files, rejected, "associations.csv")
    g.add_edges_from(zip(assoc.record_id_a.map(rec_person), assoc.record_id_b.map(rec_person)))
    tn = files["truth/networks.csv"]
    nets = tn[tn.kind.isin(NETWORK_KINDS)]
    comp = {p: i for i, c in enumerate(nx.connected_components(g)) for p in c}
    per_comp = nets.assign(c=nets.true_person_id.map(comp)).groupby("c").network_id.nunique()
    assert per_comp.max() >= 2


# -- ground truth from the generated facts ------------------------------------------------


def _day(iso: str) -> int:
    return date.fromisoformat(iso).toordinal() - date(1970, 1, 1).toordinal()


def _calendar_age(dob: int, day: int) -> int:
    """Age in whole calendar years, written independently of synth.people; a 29 February
    birthday is kept on 1 March in common years."""
    b = date.fromordinal(dob + 719163)
    t = date.fromordinal(day + 719163)
    try:
        anniversary = b.replace(year=t.year)
    except ValueError:
        anniversary = date(t.year, 3, 1)
    return t.year - b.year - (t < anniversary)


class _MiniForce:
    """Just the tables synth.truth reads: people (dob), incidents, involvements."""

    def __init__(self) -> None:
        self.pop = SimpleNamespace(table=new_people_table())
        self.incidents = Table(occurred="i8", occ_prec="i8", reported="i8", cat="i8", sexual="?", exchange="?",
                               meets="?")
        self.involvements = Table(incident="i8", person="i8", role="i8")

    def person(self, dob: str) -> int:
        return self.pop.table.append(dob=_day(dob))

    def incident(self, occurred: str, *, people: list[tuple[int, int]], reported: str | None = None,
                 occ_prec: int = 1, sexual: bool = True, exchange: bool = True, cat: int = 2) -> int:
        occ = _day(occurred) * 1440 + 600
        rep = (_day(reported) * 1440 + 700) if reported else occ + 60
        i = self.incidents.append(occurred=occ, occ_prec=occ_prec, reported=rep, cat=cat, sexual=sexual,
                                  exchange=exchange)
        for p, role in people:
            self.involvements.append(incident=i, person=p, role=role)
        return i


def test_truth_age_is_exact_at_the_18th_birthday():
    f = _MiniForce()
    june = f.person("2003-06-15")
    leapling = f.person("2004-02-29")
    march = f.person("2002-03-01")
    cases = {
        f.incident("2021-06-14", people=[(june, VICTIM)]): True,       # 17 years 364 days: a child
        f.incident("2021-06-15", people=[(june, VICTIM)]): False,      # 18 on the day: not
        f.incident("2022-02-28", people=[(leapling, VICTIM)]): True,   # born 29 Feb: still 17 on 28 Feb
        f.incident("2022-03-01", people=[(leapling, VICTIM)]): False,  # ... and 18 on 1 March
        f.incident("2020-02-29", people=[(march, VICTIM)]): True,      # a leap day before the birthday
        f.incident("2020-03-01", people=[(march, VICTIM)]): False,
        # occurred_at left blank: the age is taken on reported_at
        f.incident("2021-06-10", reported="2021-06-15", occ_prec=0, people=[(june, VICTIM)]): False,
        f.incident("2021-06-10", reported="2021-06-14", occ_prec=0, people=[(june, VICTIM)]): True,
    }
    meets = derive(f)
    assert {i: bool(meets[i]) for i in cases} == cases


def test_truth_meets_when_any_victim_is_a_child():
    f = _MiniForce()
    adult, child, other_adult = f.person("1999-01-01"), f.person("2006-05-05"), f.person("1990-01-01")
    perp = f.person("1980-01-01")
    first_adult = f.incident("2021-01-10", people=[(adult, VICTIM), (child, VICTIM), (perp, SUSPECT)], cat=2)
    all_adults = f.incident("2021-01-10", people=[(adult, VICTIM), (other_adult, VICTIM), (perp, SUSPECT)], cat=2)
    child_not_victim = f.incident("2021-01-10", people=[(adult, VICTIM), (child, SUSPECT)], cat=2)
    no_exchange = f.incident("2021-01-10", people=[(child, VICTIM)], exchange=False, cat=5)
    not_sexual = f.incident("2021-01-10", people=[(child, VICTIM)], sexual=False, cat=3)
    meets = derive(f)
    assert meets[first_adult] and not meets[all_adults] and not meets[child_not_victim]
    assert not meets[no_exchange] and not meets[not_sexual]
    cat = f.incidents["cat"]
    assert cat[first_adult] == 2 and cat[all_adults] == NET_ADULT and cat[child_not_victim] == NET_ADULT
    assert cat[no_exchange] == 5 and cat[not_sexual] == 3


def test_birthday_helpers_use_calendar_years():
    for day in range(_day("2019-01-01"), _day("2024-01-01")):
        dob = dob_turning(18, day)
        assert _calendar_age(dob, day) == 18 and _calendar_age(dob + 1, day) == 17
        if date.fromordinal(day + 719163).strftime("%m-%d") != "02-29":
            assert birthday(dob, 18) == day and _calendar_age(dob, day - 1) == 17
    for dob in range(_day("1998-01-01"), _day("2008-01-01"), 3):
        for years in (16, 17, 18):
            b = birthday(dob, years)
            assert age_years(dob, b) == years == _calendar_age(dob, b) and _calendar_age(dob, b - 1) == years - 1


@pytest.fixture(scope="module")
def small_force(tmp_path_factory):
    """The small force's internals as the truth was derived from them."""
    gen = importlib.import_module("csenet.synth.generate")
    seen = {}
    real = gen.derive_truth

    def spy(force):
        seen["force"] = force
        return real(force)

    gen.derive_truth = spy
    try:
        generate(tmp_path_factory.mktemp("small_force"), scale="small", seed=11)
    finally:
        gen.derive_truth = real
    return seen["force"]


def test_truth_agrees_with_every_victims_true_age(small_force):
    f = small_force
    I, V = f.incidents.columns(), f.involvements.columns()
    dob = f.pop.table["dob"]
    day = np.where(I["occ_prec"] > 0, I["occurred"] // 1440, I["reported"] // 1440)
    child = np.zeros(len(I["cat"]), dtype=bool)
    for inc, p, role in zip(V["incident"], V["person"], V["role"]):
        if role == VICTIM and _calendar_age(int(dob[p]), int(day[inc])) < 18:
            child[inc] = True
    assert (I["meets"] == (child & I["sexual"] & I["exchange"])).all()
    gifts = I["cat"] == ADULT_GIFT
    assert gifts.sum() >= 8 and not child[gifts].any(), "young adults given gifts are all 18 or over"
    assert not child[I["cat"] == NET_ADULT].any()
    assert I["meets"][I["sexual"] & I["exchange"] & child].all()
