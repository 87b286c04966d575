# SPDX-License-Identifier: GPL-3.0-or-later
"""The investigator HTTP API: canned queries, people, networks, audit, exports; secure and audited."""
