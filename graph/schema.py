"""Merge keys and lookup indexes: the allow-list of labels and properties DDL may name.

DDL cannot take parameters, so labels and property names here are the only identifiers
ever spliced into a statement, and they are checked against this list first.
"""

from __future__ import annotations

import re

NODE_KEYS: dict[str, str] = {
    "Person": "person_id",
    "PersonRecord": "record_id",
    "Incident": "incident_id",
    "Location": "location_id",
    "Identifier": "identifier_key",
    "OCG": "ocg_id",
    "MissingEpisode": "episode_id",
    "Network": "network_id",
    "Load": "load_id",
}

# Only properties some query looks up by (person search: prefixes, national id, year of
# birth; home co-residence: postcode; canned-query filters). Every index is rebuilt when the
# embedded store loads its snapshot, so an index no query uses costs restart time for nothing
# (docs/embedded-store.md): names and dates of birth on Person, and Identifier.kind, went.
LOOKUP_INDEXES: dict[str, tuple[str, ...]] = {
    "PersonRecord": ("national_id", "date_of_birth", "family_prefix", "given_prefix", "postcode"),
    "Incident": ("district", "year", "cse_verdict", "offence_code"),
    "Location": ("postcode", "kind"),
}

_IDENT = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def checked(label: str, prop: str) -> tuple[str, str]:
    """The pair unchanged, or ValueError if either is not on the allow-list."""
    allowed = {NODE_KEYS.get(label)} | set(LOOKUP_INDEXES.get(label, ()))
    if label not in NODE_KEYS or prop not in allowed or not (_IDENT.match(label) and _IDENT.match(prop)):
        raise ValueError("%s.%s is not in csenet's schema" % (label, prop))
    return label, prop
