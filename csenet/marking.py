# SPDX-License-Identifier: GPL-3.0-or-later
"""The Government Security Classification marking every csenet output carries."""

MARKING = "OFFICIAL-SENSITIVE"
MARKING_HEADER = "X-Protective-Marking"
HANDLING = ("OFFICIAL-SENSITIVE: personal data about children and victims of sexual offences. "
            "Handle, store and share only under your force's information-sharing rules.")
