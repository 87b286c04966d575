"""The record-bundle contract (shared/spec/record-bundle.md) as data the validator reads."""

from __future__ import annotations

from dataclasses import dataclass, field

ROLES = ("VICTIM", "SUSPECT", "OFFENDER", "WITNESS", "REPORTER", "OTHER")
LOCATION_KINDS = ("RESIDENTIAL", "HOTEL", "TAKEAWAY", "PARK", "SCHOOL", "CARE_HOME", "VEHICLE", "ONLINE", "SHOP", "OTHER")
IDENTIFIER_KINDS = ("PHONE", "VEHICLE", "EMAIL", "SOCIAL")
GENDERS = ("M", "F", "X")


@dataclass(frozen=True)
class Column:
    name: str
    required: bool = False
    kind: str = "text"  # text | id | datetime | dob | enum | list | float | ref
    enum: tuple[str, ...] = ()
    ref: str | None = None  # file whose id this column references


@dataclass(frozen=True)
class FileSpec:
    name: str
    required: bool
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()  # columns whose values are unique within the file
    extra: dict = field(default_factory=dict)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)


INCIDENTS = FileSpec("incidents", True, (
    Column("incident_id", True, "id"),
    Column("reported_at", True, "datetime"),
    Column("occurred_at", False, "datetime"),
    Column("offence_code"),
    Column("offence", True),
    Column("flags", False, "list"),
    Column("location_id", False, "ref", ref="locations"),
    Column("district"),
    Column("summary"),
), key=("incident_id",))

PERSON_RECORDS = FileSpec("person_records", True, (
    Column("record_id", True, "id"),
    Column("source"),
    Column("family_name", True),
    Column("given_names"),
    Column("date_of_birth", False, "dob"),
    Column("gender", False, "enum", GENDERS),
    Column("postcode"),
    Column("address"),
    Column("phone", False, "list"),
    Column("national_id"),
), key=("record_id",))

INVOLVEMENTS = FileSpec("involvements", True, (
    Column("incident_id", True, "ref", ref="incidents"),
    Column("record_id", True, "ref", ref="person_records"),
    Column("role", True, "enum", ROLES),
))

LOCATIONS = FileSpec("locations", False, (
    Column("location_id", True, "id"),
    Column("kind", False, "enum", LOCATION_KINDS),
    Column("name"),
    Column("address"),
    Column("postcode"),
    Column("latitude", False, "float"),
    Column("longitude", False, "float"),
), key=("location_id",))

ASSOCIATIONS = FileSpec("associations", False, (
    Column("record_id_a", True, "ref", ref="person_records"),
    Column("record_id_b", True, "ref", ref="person_records"),
    Column("kind", True),
    Column("source_ref"),
    Column("grade"),
    Column("recorded_at", False, "datetime"),
))

IDENTIFIERS = FileSpec("identifiers", False, (
    Column("record_id", True, "ref", ref="person_records"),
    Column("kind", True, "enum", IDENTIFIER_KINDS),
    Column("value", True),
    Column("recorded_at", False, "datetime"),
))

OCG_MEMBERS = FileSpec("ocg_members", False, (
    Column("ocg_id", True, "id"),
    Column("ocg_name"),
    Column("record_id", True, "ref", ref="person_records"),
    Column("primary_crime"),
    Column("mapped_at", False, "datetime"),
))

MISSING_EPISODES = FileSpec("missing_episodes", False, (
    Column("record_id", True, "ref", ref="person_records"),
    Column("started_at", True, "datetime"),
    Column("ended_at", False, "datetime"),
    Column("found_location_id", False, "ref", ref="locations"),
))

FILES: tuple[FileSpec, ...] = (
    LOCATIONS, INCIDENTS, PERSON_RECORDS, INVOLVEMENTS, ASSOCIATIONS, IDENTIFIERS, OCG_MEMBERS, MISSING_EPISODES,
)
BY_NAME = {f.name: f for f in FILES}
