# SPDX-License-Identifier: GPL-3.0-or-later
"""The problem profile as a document: `csenet report` and `GET /reports/profile` (docs/report.md)."""

from csenet.report.build import Report, build_report, write_report
from csenet.report.options import FORMATS, ReportInputError, ReportOptions

__all__ = ["FORMATS", "Report", "ReportInputError", "ReportOptions", "build_report", "write_report"]
