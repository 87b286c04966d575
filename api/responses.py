# SPDX-License-Identifier: GPL-3.0-or-later
"""Marked JSON bodies and pagination shared by every route."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from csenet.marking import MARKING


def marked(**payload: Any) -> dict[str, Any]:
    return {"protective_marking": MARKING, **payload}


def marked_json(**payload: Any) -> JSONResponse:
    """Rows straight from the store are plain JSON types: skip FastAPI's generic encoder on hot routes."""
    return JSONResponse(marked(**payload))


def paged(rows: list[Any], page: int, page_size: int) -> dict[str, Any]:
    start = (page - 1) * page_size
    return {"page": page, "page_size": page_size, "total": len(rows), "rows": rows[start:start + page_size]}
