"""The problem profile (report/): its numbers are the canned queries', it names no child, it opens offline.

A small generated force is loaded once into the embedded FalkorDB; the CLI, the API and
headless Chromium all read that one graph. Screenshots and the report land in
tests/output/report/ (git-ignored) and their folder is printed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from html.parser import HTMLParser
from pathlib import Path

import pytest

from csenet.settings import Settings
from tests import report_browser

REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "tests" / "output" / "report"
SECTIONS = ["summary", "s1-prevalence", "s2-networks", "s3-children", "s4-premises", "s5-quality", "s6-method"]


@pytest.fixture(scope="module")
def force(tmp_path_factory):
    """A small synthetic force, loaded with its analyses; yields (settings, store, bundle)."""
    from csenet.graph.open import open_store
    from csenet.pipeline import load_and_analyse
    from csenet.synth import generate

    base = tmp_path_factory.mktemp("rep")
    bundle = base / "bundle"
    generate(bundle, scale="small", seed=11)
    settings = Settings(data=base / "db", graph_name="t_rep_" + uuid.uuid4().hex[:6])
    store = open_store(settings)
    summary = load_and_analyse(store, bundle, settings, rejects_path=base / "rejects.csv")
    yield settings, store, bundle, summary
    store.drop_graph()
    store.close()


def cli(settings: Settings, *args: str) -> subprocess.CompletedProcess:
    """The real command line in its own process (sharing the embedded server with this one)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSENET_")}
    env.update(CSENET_DATA=str(settings.data), CSENET_GRAPH_NAME=settings.graph_name)
    return subprocess.run([sys.executable, "-m", "csenet", *args], env=env, capture_output=True, text=True,
                          timeout=300)


def query_json(settings: Settings, name: str, *params: str) -> list[dict]:
    args = ["query", name, "--format", "json"]
    for p in params:
        args += ["-p", p]
    result = cli(settings, *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


class Tables(HTMLParser):
    """Every <table id=...> as a list of rows of cell texts (header row included)."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._table = dict(attrs).get("id")
            if self._table:
                self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._table and self._cell is not None:
            self.tables[self._table][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def tables_of(html: str) -> dict[str, list[dict[str, str]]]:
    parser = Tables()
    parser.feed(html)
    out = {}
    for tid, rows in parser.tables.items():
        if rows and rows[0]:
            out[tid] = [dict(zip(rows[0], r)) for r in rows[1:] if r]
    return out


@pytest.fixture(scope="module")
def profile(force, tmp_path_factory) -> Path:
    settings = force[0]
    OUTPUT.mkdir(parents=True, exist_ok=True)
    out = OUTPUT / "profile.html"
    result = cli(settings, "report", "--out", str(out), "--justification", "OP-TEST-2024/1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(out.resolve())
    print("\nreport and screenshots: %s" % OUTPUT)
    return out


def _str(v) -> str:
    return "" if v is None else str(v)


def test_prevalence_networks_and_ocg_gap_equal_the_canned_queries(force, profile):
    settings = force[0]
    tables = tables_of(profile.read_text(encoding="utf-8"))
    cols = ["district", "year", "flagged_cse", "flagged_meeting_definition", "unflagged_meeting_definition",
            "audited_total"]
    expected = [[_str(r[c]) for c in cols] for r in query_json(settings, "prevalence")]
    assert expected, "the force has CSE incidents"
    assert [[r[c] for c in cols] for r in tables["t-prevalence"]] == expected

    cols = ["district", "networks", "not_ocg_mapped", "no_member_on_ocg_map", "not_mapped_as_cse",
            "perpetrators_and_facilitators", "victims"]
    expected = [[_str(r[c]) for c in cols] for r in query_json(settings, "ocg_gap")]
    assert expected
    assert [[r[c] for c in cols] for r in tables["t-ocg-gap"]] == expected

    cols = ["network_id", "size", "perpetrator_count", "facilitator_count", "victim_count"]
    expected = [[_str(r[c]) for c in cols] for r in query_json(settings, "networks", "limit=1000")]
    assert [[r[c] for c in cols] for r in tables["t-networks"]] == expected


def test_a_district_profile_equals_the_district_queries(force, tmp_path):
    settings = force[0]
    district = query_json(settings, "ocg_gap")[0]["district"]
    out = tmp_path / "d.html"
    assert cli(settings, "report", "--out", str(out), "--district", district).returncode == 0
    tables = tables_of(out.read_text(encoding="utf-8"))
    expected = query_json(settings, "prevalence", "district=%s" % district)
    assert [(r["year"], r["audited_total"]) for r in tables["t-prevalence"]] == \
        [(_str(r["year"]), _str(r["audited_total"])) for r in expected]
    gap = query_json(settings, "ocg_gap", "district=%s" % district)
    assert [(r["district"], r["networks"], r["victims"]) for r in tables["t-ocg-gap"]] == \
        [(r["district"], _str(r["networks"]), _str(r["victims"])) for r in gap]


def _victim_names(store) -> list[tuple[str, str]]:
    rows = store.read("MATCH (p:Person)-[:VICTIM_IN]->(:Incident) "
                      "OPTIONAL MATCH (r:PersonRecord)-[:RESOLVED_TO]->(p) "
                      "RETURN DISTINCT p.person_id AS id, r.given_names AS given, r.family_name AS family")
    return [(r["id"], r["given"] or "", r["family"] or "") for r in rows]


def test_no_victim_is_named_or_identified_in_the_report(force, profile):
    html = profile.read_text(encoding="utf-8")
    text = " ".join(html.split())
    victims = _victim_names(force[1])
    assert victims
    for pid, given, family in victims:
        assert not re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(pid), html), pid
        if given and family:
            assert "%s %s" % (given, family) not in text
            assert "%s, %s" % (family, given) not in text
    assert "VICTIM-" in html, "victims in the drawings are shown by pseudonym"


def test_the_report_refuses_to_write_a_child_name(force):
    from csenet.report.privacy import ReportPrivacyError, check_document, names_of

    pid, given, family = next(v for v in _victim_names(force[1]) if v[1] and v[2])
    names = names_of(force[1], [pid])
    with pytest.raises(ReportPrivacyError, match="name"):
        check_document("<p>%s %s</p>" % (given, family.upper()), names, {pid})
    with pytest.raises(ReportPrivacyError, match="id"):
        check_document("<p>%s</p>" % pid, names, {pid})


def test_audit_reasons_lose_the_text_they_quote():
    from csenet.report.privacy import reason_codes

    assert reason_codes('AGE<18:described("Tayla, a girl");EXCHANGE:gifts("bought her a phone");NO_EXCHANGE') == \
        ["AGE<18:described", "EXCHANGE:gifts", "NO_EXCHANGE"]


def test_premises_are_kinds_unless_locations_are_asked_for(force, profile, tmp_path):
    rows = query_json(force[0], "hotspot_locations")
    addresses = [r["address"] for r in rows if r.get("address")]
    assert addresses
    html = profile.read_text(encoding="utf-8")
    assert not any(a in html for a in addresses)
    out = tmp_path / "named.html"
    assert cli(force[0], "report", "--out", str(out), "--include-locations").returncode == 0
    named = out.read_text(encoding="utf-8")
    assert all(a in named for a in addresses)


def test_every_section_renders_in_headless_chromium_offline(profile):
    why = report_browser.missing()
    if why:
        pytest.skip(why)
    shots = OUTPUT / "screenshots"
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    page = report_browser.visit(profile, shots, SECTIONS)
    assert page.title.startswith("OFFICIAL-SENSITIVE")
    assert page.text.count("OFFICIAL-SENSITIVE") >= 2
    for sid in SECTIONS:
        box = page.sections[sid]
        assert box is not None, "section %s missing" % sid
        assert box["height"] > 100 and box["text"] > 200, (sid, box)
    for sid in ("s1-prevalence", "s2-networks", "s3-children", "s4-premises"):
        assert page.sections[sid]["svgs"] >= 1, sid
    assert page.sections["s2-networks"]["svgs"] >= 3, "legend and small multiples"
    errors = [e for e in page.console if e.get("level") in ("SEVERE", "ERROR")]
    assert errors == []
    assert page.requests and all(u.startswith(("file:", "data:")) for u in page.requests), page.requests
    assert all(s.stat().st_size > 10_000 for s in page.screenshots)


def test_the_pdf_is_marked_on_every_page(force, tmp_path):
    from pypdf import PdfReader

    out = tmp_path / "profile.pdf"
    assert cli(force[0], "report", "--out", str(out), "--format", "pdf").returncode == 0
    pages = PdfReader(str(out)).pages
    assert len(pages) > 3
    assert all("OFFICIAL-SENSITIVE" in p.extract_text() for p in pages)


def test_bad_options_are_refused_with_a_reason(force, tmp_path):
    result = cli(force[0], "report", "--out", str(tmp_path / "x.html"), "--since", "2021-13-01")
    assert result.returncode == 2 and "since must be a date" in result.stderr
    result = cli(force[0], "report", "--out", str(tmp_path / "x.html"), "--since", "2022-01-01",
                 "--until", "2021-01-01")
    assert result.returncode == 2 and "after --until" in result.stderr
    result = cli(force[0], "report", "--out", str(tmp_path / "x.html"), "--compare-with", "LOAD-nope")
    assert result.returncode == 2 and "no load 'LOAD-nope'" in result.stderr
    assert not (tmp_path / "x.html").exists()


def test_a_period_narrows_every_section(force, tmp_path):
    out = tmp_path / "p.html"
    assert cli(force[0], "report", "--out", str(out), "--since", "2021-01-01", "--until", "2021-12-31").returncode == 0
    tables = tables_of(out.read_text(encoding="utf-8"))
    assert {r["year"] for r in tables["t-prevalence"]} == {"2021"}
    everything = query_json(force[0], "networks", "limit=1000")
    active = query_json(force[0], "networks", "limit=1000", "since=2021-01-01", "until=2021-12-31")
    assert 0 < len(tables["t-networks"]) == len(active) < len(everything)


def test_the_cli_logs_the_report(force, profile):
    from csenet.access_log import read_entries

    entries = [e for e in read_entries(force[0].access_log_path()) if e["action"] == "report"]
    assert entries and entries[0]["justification"] == "OP-TEST-2024/1" and entries[0]["records"] > 0


def test_loads_record_their_rejects_without_the_values(force):
    summary = force[3]
    load = force[1].read("MATCH (l:Load {load_id: $id}) RETURN l.rows_rejected AS rejected, "
                         "l.issue_summary AS issues", {"id": summary.load_id})[0]
    assert load["rejected"] == summary.rows_rejected > 0
    values = [str(v) for v in summary.issues["value"] if str(v).strip() and len(str(v)) > 3]
    assert values and not any(v in line for v in values for line in load["issues"])


def test_the_api_serves_the_profile_to_analysts_with_a_justification(force):
    from csenet.access_log import read_entries
    from csenet.api.app import create_app
    from csenet.api.users import add_user
    from fastapi.testclient import TestClient

    settings, store = force[0], force[1]
    tokens = {role: add_user(settings, "rep-" + role, role) for role in ("investigator", "analyst")}
    just = {"X-Justification": "OP-HARBOUR-2024/17"}
    with TestClient(create_app(settings, store), raise_server_exceptions=False) as client:
        analyst = {"Authorization": "Bearer " + tokens["analyst"]}
        assert client.get("/reports/profile", headers=analyst).status_code == 428
        denied = client.get("/reports/profile", headers={"Authorization": "Bearer " + tokens["investigator"], **just})
        assert denied.status_code == 403
        bad = client.get("/reports/profile", params={"since": "2021-02-30"}, headers={**analyst, **just})
        assert bad.status_code == 422 and "since" in bad.json()["detail"]
        r = client.get("/reports/profile", params={"district": "nowhere"}, headers={**analyst, **just})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assert r.headers["x-protective-marking"] == "OFFICIAL-SENSITIVE" and "OFFICIAL-SENSITIVE" in r.text
        pdf = client.get("/reports/profile", params={"format": "pdf"}, headers={**analyst, **just})
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    logged = [e for e in read_entries(settings.access_log_path()) if e["action"] == "report_profile"]
    assert [e["status"] for e in logged] == [428, 403, 422, 200, 200]
    assert logged[-1]["justification"] == "OP-HARBOUR-2024/17" and logged[-1]["user"] == "rep-analyst"


def test_compare_with_an_earlier_load_shows_what_the_new_records_added(tiny_bundle, tmp_path):
    from csenet.graph.open import open_store
    from csenet.pipeline import load_and_analyse
    from csenet.report import ReportOptions, build_report

    settings = Settings(data=tmp_path / "db", graph_name="t_cmp_" + uuid.uuid4().hex[:6])
    later = tmp_path / "later"
    shutil.copytree(tiny_bundle, later)
    (later / "rejects.csv").unlink(missing_ok=True)
    with (later / "incidents.csv").open("a", encoding="utf-8") as fh:
        fh.write('INC-6,Sexual activity involving a child under 16,2024-02-02,,LOC-2,Westbrook,'
                 '"Girl aged 15 given vodka by a man at a hotel, who then had sex with her.",22B,2024-02-01,4411\n')
    with (later / "involvements.csv").open("a", encoding="utf-8") as fh:
        fh.write("INC-6,P-1,VICTIM\nINC-6,P-6,SUSPECT\n")
    store = open_store(settings)
    try:
        first = load_and_analyse(store, tiny_bundle, settings, rejects_path=tmp_path / "r1.csv")
        second = load_and_analyse(store, later, settings, rejects_path=tmp_path / "r2.csv")
        assert first.load_id != second.load_id
        report = build_report(store, settings, ReportOptions.build(compare_with=first.load_id))
        x = report.data["comparison"]
        assert x["later_loads"] == [second.load_id]
        assert x["totals"]["incidents_change"] == 1
        westbrook = next(r for r in x["districts"] if r["district"] == "Westbrook")
        assert westbrook["incidents_then"] == 2 and westbrook["incidents_now"] == 3
        assert "What changed since load %s" % first.load_id in report.html
    finally:
        store.drop_graph()
        store.close()


def test_the_report_agrees_with_the_canned_queries_on_every_backend(tiny_graph, backend_settings):
    """The tiny bundle on FalkorDB and, where one is reachable, Neo4j: same figures as the registry's."""
    from csenet.cypher.registry import get_query
    from csenet.report import ReportOptions, build_report

    def canned(name, **params):
        q = get_query(name)
        return tiny_graph.read(q.text_for(tiny_graph.dialect), q.bind(params))

    report = build_report(tiny_graph, backend_settings, ReportOptions.build())
    keys = ["district", "year", "flagged_cse", "flagged_meeting_definition", "unflagged_meeting_definition",
            "audited_total"]
    assert [{k: r[k] for k in keys} for r in report.data["prevalence"]["rows"]] == canned("prevalence")
    gap = canned("ocg_gap")
    assert [{k: r[k] for k in gap[0]} for r in report.data["networks"]["gap"]] == gap
    assert report.data["networks"]["rows"] == canned("networks", limit=1000)
    totals = report.data["prevalence"]["totals"]
    assert (totals["flagged_cse"], totals["over_flagged"], totals["suggest_csa"], totals["suggest_cce"],
            totals["unflagged_meeting_definition"]) == (3, 2, 1, 1, 1)
    for name in ("Nowell", "Tayla", "Lindqvist", "Eira", "Mbeki", "Joel"):
        assert name not in report.html
