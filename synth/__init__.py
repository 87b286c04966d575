"""Synthetic force generator: a record bundle (record-bundle.md) with planted CSE
networks, the hard cases around them, and the ground truth to score csenet against."""

from __future__ import annotations

from .generate import generate

__all__ = ["generate"]
