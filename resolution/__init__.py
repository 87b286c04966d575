"""Person resolution: source person records -> resolved people.

Every resolver returns a `Resolution`: one row per record with its person id, the weakest
match probability that joined it, the method and the model version. The loader writes it
as `(:PersonRecord)-[:RESOLVED_TO]->(:Person)`.
"""

from csenet.resolution.types import RESOLUTION_COLUMNS, Resolution, stable_person_ids

__all__ = ["RESOLUTION_COLUMNS", "Resolution", "stable_person_ids"]
