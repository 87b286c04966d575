"""The packaged word lists (names, places, offences, texts), loaded once."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).parent


@lru_cache(maxsize=None)
def load(name: str) -> dict[str, Any]:
    with open(HERE / f"{name}.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)
