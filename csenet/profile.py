"""The problem profile `csenet demo` prints: the Inquiry's two failures, measured on this graph."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from csenet.graph.store import GraphStore

PEOPLE = """
MATCH (r:PersonRecord) WITH count(r) AS records
MATCH (p:Person) RETURN records, count(p) AS persons
"""

FLAGS = """
MATCH (i:Incident)
RETURN count(i) AS incidents,
       count(CASE WHEN i.flagged_cse THEN 1 END) AS flagged_cse,
       count(CASE WHEN i.flagged_cse AND i.meets_cse_definition THEN 1 END) AS flagged_meeting,
       count(CASE WHEN NOT i.flagged_cse AND i.meets_cse_definition THEN 1 END) AS unflagged_meeting,
       count(CASE WHEN i.meets_cse_definition THEN 1 END) AS audited_total,
       count(CASE WHEN i.flagged_cse AND 'CSA' IN coalesce(i.suggested_flags, []) THEN 1 END) AS suggest_csa,
       count(CASE WHEN i.flagged_cse AND 'CCE' IN coalesce(i.suggested_flags, []) THEN 1 END) AS suggest_cce
"""

NETWORKS = """
MATCH (n:Network)
RETURN count(n) AS networks, count(CASE WHEN NOT n.ocg_mapped THEN 1 END) AS not_ocg_mapped,
       count(CASE WHEN NOT n.member_on_ocg_map THEN 1 END) AS no_member_on_ocg_map
"""

MEMBERS = """
MATCH (p:Person)-[m:IN_NETWORK]->(:Network)
RETURN count(DISTINCT CASE WHEN m.role = 'PERPETRATOR' THEN p.person_id END) AS perpetrators,
       count(DISTINCT CASE WHEN m.role = 'FACILITATOR' THEN p.person_id END) AS facilitators,
       count(DISTINCT CASE WHEN m.role = 'VICTIM' THEN p.person_id END) AS victims
"""

OCGS = "MATCH (o:OCG) RETURN count(o) AS ocgs, count(CASE WHEN o.primary_crime = 'CSE' THEN 1 END) AS cse_ocgs"


def problem_profile(store: GraphStore) -> dict[str, Any]:
    profile: dict[str, Any] = {}
    for query in (PEOPLE, FLAGS, NETWORKS, MEMBERS, OCGS):
        rows = store.read(query)
        profile.update({k: int(v or 0) for k, v in (rows[0] if rows else {}).items()})
    return profile


def render_profile(p: dict[str, Any], console: Console) -> None:
    flags = Table(title="1. Flags are wrong, so prevalence is wrong", show_header=False)
    flags.add_column(); flags.add_column(justify="right")
    flags.add_row("Incidents", str(p["incidents"]))
    flags.add_row("Flagged CSE by the recording officer", str(p["flagged_cse"]))
    flags.add_row("  of which meet the statutory definition", str(p["flagged_meeting"]))
    flags.add_row("  flagged CSE but abuse without exchange (suggest CSA)", str(p["suggest_csa"]))
    flags.add_row("  flagged CSE but criminal exploitation (suggest CCE)", str(p["suggest_cce"]))
    flags.add_row("Meet the definition but carry no CSE flag", str(p["unflagged_meeting"]))
    flags.add_row("CSE incidents after audit", str(p["audited_total"]), style="bold")
    console.print(flags)
    nets = Table(title="2. Nobody can see the networks", show_header=False)
    nets.add_column(); nets.add_column(justify="right")
    nets.add_row("Formal OCGs on the force's map (of which CSE)", "%d (%d)" % (p["ocgs"], p["cse_ocgs"]))
    nets.add_row("CSE networks found (IICSA definition)", str(p["networks"]), style="bold")
    nets.add_row("  not on the OCG map as a group", str(p["not_ocg_mapped"]), style="bold")
    nets.add_row("  with no member on the OCG map at all", str(p["no_member_on_ocg_map"]))
    nets.add_row("  perpetrators / facilitators in them", "%d / %d" % (p["perpetrators"], p["facilitators"]))
    nets.add_row("  children they exploited", str(p["victims"]))
    nets.add_row("Person records resolved into people", "%d -> %d" % (p["records"], p["persons"]))
    console.print(nets)
