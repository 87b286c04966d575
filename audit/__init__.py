# SPDX-License-Identifier: GPL-3.0-or-later
"""CSE flag audit: each incident tested against the statutory definition, with its reasons.

    from csenet.audit import audit_incidents, write_audit_csv
    verdicts = audit_incidents(incidents, involvements, persons, network_context)
    write_audit_csv(verdicts, "audit.csv")

See docs/flag-audit.md for how a verdict is reached and how to extend the lexicon.
"""

from csenet.audit.engine import AUDIT_COLUMNS, AUDIT_VERSION, Auditor, audit_incidents
from csenet.audit.export import AUDIT_CSV_COLUMNS, write_audit_csv
from csenet.audit.lexicon import Lexicon, LexiconError, default_lexicon
from csenet.audit.offences import OffenceCodes, default_codes

__all__ = [
    "AUDIT_COLUMNS", "AUDIT_CSV_COLUMNS", "AUDIT_VERSION", "Auditor", "Lexicon", "LexiconError", "OffenceCodes",
    "audit_incidents", "default_codes", "default_lexicon", "write_audit_csv",
]
