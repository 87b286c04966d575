# SPDX-License-Identifier: GPL-3.0-or-later
"""The Neo4j Browser guide served at GET /browser/guide.

Analysts on the Neo4j deployment work in Neo4j Browser; `:play <url>` shows this guide
as slides whose code blocks go into the editor on a click. It explains the graph model
and offers every canned query from the registry, so Browser users run the same reviewed
Cypher as the CLI and the API instead of writing their own.

Format: Browser fetches the page, keeps each `<slide>` element and treats every
`<pre class="runnable">` as a runnable block (its text content, trimmed). Pages whose
path has no extension are read as HTML. The output is also well-formed XML, which the
tests check.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping
from typing import Any

TITLE = "csenet: investigating child sexual exploitation networks"

# Example queries used by the model slides; tests/test_cypher_lint.py lints them too.
MODEL_QUERIES: dict[str, str] = {
    "schema": "CALL db.schema.visualization()",
    "counts": (
        "MATCH (n)\n"
        "UNWIND labels(n) AS label\n"
        "RETURN label, count(*) AS nodes\n"
        "ORDER BY nodes DESC"
    ),
    "resolved_person": (
        "MATCH (p:Person)\n"
        "WHERE p.record_count > 1\n"
        "WITH p ORDER BY p.record_count DESC LIMIT 3\n"
        "MATCH path = (pr:PersonRecord)-[:RESOLVED_TO]->(p)\n"
        "RETURN path"
    ),
    "resolution_evidence": (
        "MATCH (pr:PersonRecord)-[r:RESOLVED_TO]->(p:Person)\n"
        "WHERE r.match_probability < 0.99\n"
        "RETURN p.person_id AS person_id, pr.record_id AS record_id, pr.source AS source,\n"
        "       r.method AS method, r.match_probability AS match_probability\n"
        "ORDER BY match_probability\n"
        "LIMIT 25"
    ),
    "audit_verdicts": (
        "MATCH (i:Incident)\n"
        "WHERE i.cse_verdict IS NOT NULL\n"
        "RETURN i.cse_verdict AS verdict, count(*) AS incidents\n"
        "ORDER BY incidents DESC"
    ),
    "audit_under_flagged": (
        "MATCH (i:Incident {cse_verdict: 'UNDER_FLAGGED'})\n"
        "RETURN i.incident_id AS incident_id, i.offence AS offence, i.flags AS recorded_flags,\n"
        "       i.audit_reasons AS reasons\n"
        "ORDER BY incident_id\n"
        "LIMIT 25"
    ),
    "networks": (
        "MATCH (n:Network)<-[:IN_NETWORK]-(p:Person)\n"
        "WITH n, collect(p) AS members\n"
        "ORDER BY size(members) DESC LIMIT 1\n"
        "UNWIND members AS p\n"
        "OPTIONAL MATCH (p)-[a:ASSOCIATED_WITH]-(q:Person)-[:IN_NETWORK]->(n)\n"
        "RETURN n, p, a, q"
    ),
}


def _get(obj: Any, key: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(key, default)
    return getattr(obj, key, default)


def cypher_literal(value: Any) -> str:
    """A parameter value as Cypher source for `:param`. Dates stay ISO strings, as the graph stores them."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else "null"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(cypher_literal(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_key(k)}: {cypher_literal(v)}" for k, v in value.items()) + "}"
    if hasattr(value, "isoformat"):
        value = value.isoformat()
    text = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return f"'{text}'"


def _key(name: Any) -> str:
    name = str(name)
    return name if name.isidentifier() else "`" + name.replace("`", "``") + "`"


def params_command(params: Iterable[Any]) -> str:
    """The block that sets every parameter to its default, for Browser to send with the query.

    `:param name => value` has the server evaluate the value, so an int stays an INTEGER
    (`:params {limit: 100}` is parsed by JavaScript and sends 100.0, which LIMIT refuses).
    One command a line, each ending in `;`: Browser's multi-statement editor (on by
    default) runs them all. Nothing clears other parameters first: in one multi-statement
    run Browser applied `:params {}` after the `:param` lines, so the query found none;
    every block sets all of its own parameters, and Neo4j ignores the others.
    """
    lines = [f":param {_key(_get(p, 'name'))} => {cypher_literal(_get(p, 'default'))};" for p in params]
    return "\n".join(lines)


def runnable_text(query_text: str) -> str:
    """The query as an analyst should see it: without the `//` metadata header."""
    lines = query_text.strip().splitlines()
    while lines and lines[0].lstrip().startswith("//"):
        lines.pop(0)
    return "\n".join(lines).strip()


def _e(text: Any) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def _pre(code: str) -> str:
    return f'<pre class="pre-scrollable code runnable">{_e(code)}</pre>'


def _slide(heading: str, lead: str, body: str) -> str:
    return (
        '<slide class="row-fluid">\n'
        '<div class="col-sm-3">\n'
        f"<h3>{_e(heading)}</h3>\n"
        f'<p class="lead">{_e(lead)}</p>\n'
        "</div>\n"
        '<div class="col-sm-9">\n'
        f"{body}\n"
        "</div>\n"
        "</slide>"
    )


def _intro_slides() -> list[str]:
    return _model_slides() + _analysis_slides()


def _model_slides() -> list[str]:
    """What csenet is for, and the POLE model."""
    q = MODEL_QUERIES
    return [
        _slide(
            "csenet",
            "Finding child sexual exploitation networks in police records",
            "<p>This guide walks through csenet's graph and offers every canned query. "
            "Click a grey code block to put it in the editor, then run it with "
            "<kbd>Ctrl</kbd>+<kbd>Enter</kbd> (<kbd>Cmd</kbd>+<kbd>Enter</kbd> on a Mac).</p>\n"
            "<p><strong>Handle with care.</strong> The graph holds victims' and suspects' "
            "personal data. Neo4j Browser talks to the database directly: queries run here are "
            "<em>not</em> written to csenet's access log and victims are <em>not</em> "
            "pseudonymised. Prefer the csenet API for anything that leaves this screen, and "
            "<code>csenet workspace create</code> (a pseudonymised, logged copy in its own Neo4j) "
            "for free exploration.</p>\n"
            "<p>How the graph is laid out:</p>\n" + _pre(q["schema"]) + "\n"
            "<p>What it holds:</p>\n" + _pre(q["counts"]),
        ),
        _slide(
            "The POLE model",
            "Person, Object, Location, Event",
            "<p>Two layers live in one graph.</p>\n<ul>\n"
            "<li><strong>Source facts</strong>, one node or relationship per source row, never "
            "changed by analysis: <code>PersonRecord</code>, <code>Incident</code>, "
            "<code>Location</code>, <code>Identifier</code> (phones, vehicles, e-mail, social "
            "media), <code>OCG</code>, <code>MissingEpisode</code>, <code>Load</code>, joined "
            "by <code>INVOLVED_IN</code>, <code>RECORDED_ASSOCIATION</code>, "
            "<code>HAS_IDENTIFIER</code>, <code>MEMBER_OF</code>, <code>REPORTED_MISSING</code>, "
            "<code>OCCURRED_AT</code>, <code>FOUND_AT</code>.</li>\n"
            "<li><strong>Derived projections</strong>, what csenet concluded and can rebuild: "
            "<code>Person</code>, <code>RESOLVED_TO</code>, the role relationships "
            "<code>VICTIM_IN</code>, <code>SUSPECT_IN</code>, <code>OFFENDER_IN</code>, "
            "<code>WITNESS_IN</code>, <code>REPORTER_IN</code>, <code>OTHER_IN</code>, and "
            "<code>ASSOCIATE_OF</code>, <code>USES</code>, <code>MAPPED_TO</code>, "
            "<code>WENT_MISSING</code>, <code>ASSOCIATED_WITH</code>, <code>IN_NETWORK</code>, "
            "<code>Network</code>.</li>\n</ul>\n"
            "<p>Every fact carries <code>source</code>, <code>source_rows</code> and "
            "<code>load_ids</code>; every conclusion carries <code>derived_by</code> and the "
            "<code>record_ids</code> it rests on. Dates are ISO text "
            "(<code>'2023-03-02'</code>), so compare them as strings.</p>",
        ),
    ]


def _analysis_slides() -> list[str]:
    """Persons against their records, the flag audit and networks."""
    q = MODEL_QUERIES
    return [
        _slide(
            "Persons and records",
            "One person, many records",
            "<p>Each force system records the same person differently. A "
            "<code>PersonRecord</code> is one system's row; a <code>Person</code> is csenet's "
            "conclusion that several records are one individual, linked by "
            "<code>RESOLVED_TO</code> with the <code>method</code> and "
            "<code>match_probability</code> that justified it.</p>\n"
            "<p>Investigative questions use the person layer "
            "(<code>(:Person)-[:SUSPECT_IN]-&gt;(:Incident)</code>); evidence walks down to the "
            "records. People resolved from several records:</p>\n" + _pre(q["resolved_person"]) + "\n"
            "<p>The weakest links, to review first:</p>\n" + _pre(q["resolution_evidence"]),
        ),
        _slide(
            "The flag audit",
            "Is the CSE flag right?",
            "<p>Each <code>Incident</code> is tested against the statutory definition: a child "
            "under 18, sexual activity, and an exchange. The verdict is stored on the incident: "
            "<code>CONFIRMED</code>, <code>OVER_FLAGGED</code> (flagged, does not meet it), "
            "<code>UNDER_FLAGGED</code> (meets it, not flagged) or <code>NOT_CSE</code>, with "
            "<code>meets_cse_definition</code>, <code>suggested_flags</code> and the "
            "<code>audit_reasons</code> that decided it.</p>\n" + _pre(q["audit_verdicts"]) + "\n"
            "<p>Incidents that meet the definition but were never flagged:</p>\n"
            + _pre(q["audit_under_flagged"]),
        ),
        _slide(
            "Networks",
            "Two or more perpetrators or facilitators, associated",
            "<p>A <code>Network</code> follows the Inquiry's working definition: two or more "
            "perpetrators or facilitators known to or associated with one another and involved "
            "in the sexual exploitation of children. Lone offenders are not networks. Members "
            "are linked by <code>IN_NETWORK</code> (role: perpetrator, facilitator or victim); "
            "<code>ASSOCIATED_WITH</code> carries the evidence that ties two people together; "
            "<code>MAPPED_TO</code> shows membership of a formal OCG.</p>\n"
            "<p>The largest network and how its members connect:</p>\n" + _pre(q["networks"]),
        ),
    ]


def _param_rows(params: Iterable[Any]) -> str:
    rows = []
    for p in params:
        required = bool(_get(p, "required", False))
        default = _get(p, "default")
        rows.append(
            "<tr>"
            f"<td><code>${_e(_get(p, 'name'))}</code></td>"
            f"<td>{_e(_get(p, 'type', ''))}</td>"
            f"<td>{'required' if required else _e(cypher_literal(default))}</td>"
            f"<td>{_e(_get(p, 'description', ''))}</td>"
            "</tr>"
        )
    return (
        '<table class="table">\n<tr><th>parameter</th><th>type</th><th>default</th><th>meaning</th></tr>\n'
        + "\n".join(rows)
        + "\n</table>"
    )


def _query_slide(query: Any) -> str:
    params = list(_get(query, "params") or ())
    body = [f"<p>{_e(_get(query, 'purpose', ''))}</p>"]
    inquiry = _get(query, "inquiry")
    if inquiry:
        body.append(f"<p><em>Inquiry:</em> {_e(inquiry)}</p>")
    if params:
        body.append(_param_rows(params))
        body.append("<p>1. Set the parameters (edit the values first; <code>null</code> marks one you must give):</p>")
        body.append(_pre(params_command(params)))
        body.append("<p>2. Run the query:</p>")
    body.append(_pre(runnable_text(_get(query, "neo4j_text", ""))))
    return _slide(_get(query, "title") or _get(query, "name"), _get(query, "name"), "\n".join(body))


def _index_slide(queries: list[Any]) -> str:
    items = "\n".join(
        f"<li><code>{_e(_get(q, 'name'))}</code>: {_e(_get(q, 'title', ''))}</li>" for q in queries
    )
    return _slide(
        "Canned queries",
        f"{len(queries)} reviewed queries",
        "<p>The next slides offer every canned query: the same Cypher that "
        "<code>csenet query NAME</code> and the API run. Each shows its parameters as "
        "<code>:param</code> commands to run first (edit the values, then run the block).</p>\n"
        f"<ul>\n{items}\n</ul>",
    )


def render_guide(queries: Iterable[Any] | Mapping[str, Any]) -> str:
    """The guide as one HTML page: model slides, then one slide per canned query.

    `queries` is the registry (a name -> query mapping or a list); each query has name,
    title, purpose, inquiry, params (name, type, default, ...) and neo4j_text.
    """
    items = list(queries.values()) if isinstance(queries, Mapping) else list(queries)
    slides = _intro_slides() + [_index_slide(items)] + [_query_slide(q) for q in items]
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8"/>\n'
        f"<title>{_e(TITLE)}</title>\n</head>\n<body>\n"
        '<article class="guide">\n<carousel class="deck container">\n'
        + "\n".join(slides)
        + "\n</carousel>\n</article>\n</body>\n</html>\n"
    )

