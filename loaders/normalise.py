"""Normal forms for values compared across records: phones, plates, accounts, postcodes."""

from __future__ import annotations

import re

_NON_DIGIT = re.compile(r"\D")
_SPACE = re.compile(r"\s+")


def phone(raw: str) -> str:
    """UK numbers to their national form (`07700900111`); '' when there are no digits."""
    text = raw.strip()
    digits = _NON_DIGIT.sub("", text)
    if not digits:
        return ""
    if text.startswith("+") or text.startswith("00"):
        digits = digits[2:] if text.startswith("00") else digits
        if digits.startswith("44"):
            return "0" + digits[2:].lstrip("0")
        return "+" + digits
    if digits.startswith("44") and len(digits) == 12:
        return "0" + digits[2:]
    return digits


def vehicle(raw: str) -> str:
    return _SPACE.sub("", raw).upper()


def email(raw: str) -> str:
    return raw.strip().lower()


def social(raw: str) -> str:
    platform, sep, handle = raw.strip().partition(":")
    if not sep:
        return raw.strip().lstrip("@").lower()
    return platform.strip().lower() + ":" + handle.strip().lstrip("@").lower()


IDENTIFIER = {"PHONE": phone, "VEHICLE": vehicle, "EMAIL": email, "SOCIAL": social}


def identifier_key(kind: str, raw: str) -> str:
    """`KIND:normalised value`, or '' when nothing is left to compare."""
    value = IDENTIFIER[kind](raw)
    return kind + ":" + value if value else ""


def postcode(raw: str) -> str:
    compact = _SPACE.sub("", raw).upper()
    if len(compact) > 3:
        return compact[:-3] + " " + compact[-3:]
    return compact


def property_name(column: str) -> str:
    """Graph property for an unknown bundle column: `x_` + a safe identifier."""
    return "x_" + (re.sub(r"[^a-z0-9_]", "_", column.lower()).strip("_") or "column")
