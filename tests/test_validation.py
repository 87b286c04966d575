"""Every validation rule of record-bundle.md, each with a bad bundle: nothing is lost."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pandas as pd
import pytest

from csenet.loaders.read import BundleError, read_bundle
from csenet.loaders.validate import validate

INCIDENTS = "incident_id,reported_at,offence,location_id,summary\nI1,2023-01-02,Theft,L1,x\n"
RECORDS = "record_id,family_name,given_names,date_of_birth\nR1,Smith,Ann,1990-01-02\nR2,Jones,Bob,\n"
INVOLVEMENTS = "incident_id,record_id,role\nI1,R1,VICTIM\nI1,R2,SUSPECT\n"
LOCATIONS = "location_id,kind\nL1,HOTEL\n"


def bundle(tmp_path: Path, **files: str) -> Path:
    """A bundle folder from CSV texts; a value of None leaves that file out."""
    base = {"incidents": INCIDENTS, "person_records": RECORDS, "involvements": INVOLVEMENTS, "locations": LOCATIONS}
    base.update(files)
    folder = tmp_path / "b"
    folder.mkdir(exist_ok=True)
    for name, text in base.items():
        if text is not None:
            (folder / (name + ".csv")).write_text(text, encoding="utf-8")
    return folder


def check(folder: Path):
    valid = validate(read_bundle(folder))
    for name, c in valid.counts.items():
        assert c.read == c.loaded + c.rejected, name
    return valid


def issue(valid, severity: str) -> list[tuple[str, int, str, str]]:
    i = valid.issues[valid.issues["severity"] == severity]
    return list(zip(i["file"], i["line"], i["column"], i["reason"]))


# -- refused before anything is written --------------------------------------------------

@pytest.mark.parametrize("missing", ["incidents", "person_records", "involvements"])
def test_missing_required_file_refuses_the_bundle(tmp_path, missing):
    with pytest.raises(BundleError, match="required file %s.csv" % missing):
        read_bundle(bundle(tmp_path, **{missing: None}))


def test_optional_files_may_be_absent(tmp_path):
    assert "associations" not in check(bundle(tmp_path, locations=None)).frames


def test_missing_required_header_refuses_the_bundle(tmp_path):
    with pytest.raises(BundleError, match=r"involvements.csv: required column role missing"):
        read_bundle(bundle(tmp_path, involvements="incident_id,record_id\nI1,R1\n"))


def test_duplicate_header_refuses(tmp_path):
    with pytest.raises(BundleError, match="appears twice"):
        read_bundle(bundle(tmp_path, locations="location_id,Kind,KIND\nL1,HOTEL,PARK\n"))


def test_empty_file_refuses(tmp_path):
    with pytest.raises(BundleError, match="no header row"):
        read_bundle(bundle(tmp_path, incidents=""))


def test_non_utf8_refuses(tmp_path):
    folder = bundle(tmp_path)
    (folder / "incidents.csv").write_bytes("incident_id,reported_at,offence\nI1,2023-01-02,Caf\xe9\n".encode("latin-1"))
    with pytest.raises(BundleError, match="UTF-8|CSV"):
        validate(read_bundle(folder))


def test_a_folder_that_is_not_there(tmp_path):
    with pytest.raises(BundleError, match="not a folder"):
        read_bundle(tmp_path / "nope")


def test_bad_bundle_yaml_refuses(tmp_path):
    folder = bundle(tmp_path)
    (folder / "bundle.yaml").write_text("source: [unclosed\n")
    with pytest.raises(BundleError, match="bundle.yaml"):
        read_bundle(folder)


# -- row rules --------------------------------------------------------------------------

def test_headers_are_case_insensitive_in_any_order_and_extras_are_kept(tmp_path):
    valid = check(bundle(tmp_path, incidents="Summary,OFFENCE,Incident_ID,Reported_At,Collar\nx,Theft,I1,2023-01-02,44\n"))
    row = valid.frames["incidents"].iloc[0]
    assert row["incident_id"] == "I1" and row["offence"] == "Theft" and row["x_collar"] == "44"
    assert valid.extra_columns == {"incidents": ["collar"]}


def test_required_value_missing_rejects_the_row(tmp_path):
    valid = check(bundle(tmp_path, person_records=RECORDS + "R3,,Cy,\n"))
    assert issue(valid, "REJECT")[0][:3] == ("person_records.csv", 4, "family_name")
    assert valid.counts["person_records"].rejected == 1


def test_invalid_required_date_rejects(tmp_path):
    valid = check(bundle(tmp_path, incidents=INCIDENTS + "I2,02/01/2023,Theft,L1,x\nI3,2023-02-30,Theft,L1,x\n"
                                                         "I4,2023-01-02T25:00,Theft,,\n"))
    rejected = issue(valid, "REJECT")
    assert [(r[1], r[2]) for r in rejected] == [(3, "reported_at"), (4, "reported_at"), (5, "reported_at")]
    assert "not an ISO date" in rejected[0][3] and '"02/01/2023"' in rejected[0][3]


def test_invalid_optional_date_is_a_warning_and_kept_raw(tmp_path):
    valid = check(bundle(tmp_path, person_records=RECORDS + "R3,Khan,Ali,1990-13-04\nR4,Khan,Aisha,2999-01-01\n"
                                                              "R5,Khan,Zed,2008-09\nR6,Khan,Old,1850\n"))
    recs = valid.frames["person_records"].set_index("record_id")
    assert recs.loc["R3", "date_of_birth"] is None and recs.loc["R3", "date_of_birth_raw"] == "1990-13-04"
    assert recs.loc["R5", "date_of_birth"] == "2008-09"
    warnings = issue(valid, "WARNING")
    assert [w[1] for w in warnings] == [4, 5, 7]
    assert "future" in warnings[1][3] and "before 1900" in warnings[2][3]
    assert valid.counts["person_records"].rejected == 0 and valid.counts["person_records"].warnings == 3


def test_bad_required_enum_rejects_bad_optional_enum_warns(tmp_path):
    valid = check(bundle(tmp_path, involvements=INVOLVEMENTS + "I1,R2,BYSTANDER\nI1,R1,victim\n",
                         locations="location_id,kind,latitude\nL1,CASTLE,95\n"))
    assert [(r[0], r[1], r[2]) for r in issue(valid, "REJECT")] == [("involvements.csv", 4, "role")]
    assert valid.frames["involvements"]["role"].tolist() == ["VICTIM", "SUSPECT", "VICTIM"]
    loc = valid.frames["locations"].iloc[0]
    assert loc["kind"] is None and loc["kind_raw"] == "CASTLE"
    assert loc["latitude"] is None and loc["latitude_raw"] == "95"


def test_duplicate_ids_reject_the_later_row(tmp_path):
    valid = check(bundle(tmp_path, incidents=INCIDENTS + "I1,2023-01-03,Other,,\n"))
    assert issue(valid, "REJECT") == [("incidents.csv", 3, "incident_id", 'duplicate incident_id "I1" (first at line 2)')]


def test_unresolved_reference_rejects_with_an_actionable_reason(tmp_path):
    valid = check(bundle(tmp_path, involvements=INVOLVEMENTS + "I1,N-9913,WITNESS\nI9,R1,WITNESS\n"))
    reasons = [r[3] for r in issue(valid, "REJECT")]
    assert reasons == ['record_id "N-9913" not in person_records.csv', 'incident_id "I9" not in incidents.csv']


def test_reference_to_a_rejected_row_says_so(tmp_path):
    valid = check(bundle(tmp_path, person_records=RECORDS + "R3,,X,\n", involvements=INVOLVEMENTS + "I1,R3,WITNESS\n"))
    rejected = {(r[0], r[1]): r[3] for r in issue(valid, "REJECT")}
    assert rejected[("involvements.csv", 4)] == 'record_id "R3" refers to a row of person_records.csv that was rejected'
    assert rejected[("person_records.csv", 4)] == "required value family_name is empty"


def test_unresolved_optional_reference_warns_and_drops_the_link(tmp_path):
    valid = check(bundle(tmp_path, incidents=INCIDENTS + "I2,2023-01-02,Theft,L9,\n"))
    inc = valid.frames["incidents"].set_index("incident_id")
    assert inc.loc["I2", "location_id"] is None and inc.loc["I2", "location_id_raw"] == "L9"
    assert issue(valid, "WARNING") == [("incidents.csv", 3, "location_id", 'location_id "L9" not in locations.csv; link left out')]


def test_references_resolve_against_the_graph_for_a_later_extract(tmp_path):
    folder = bundle(tmp_path, involvements=INVOLVEMENTS + "I1,OLD-1,WITNESS\n")
    asked = []

    def known(label, key, ids):
        asked.append((label, key, ids))
        return {"OLD-1"} if label == "PersonRecord" else set()

    valid = validate(read_bundle(folder), known_in_graph=known)
    assert valid.counts["involvements"].rejected == 0
    assert asked == [("PersonRecord", "record_id", ["OLD-1"])]


def test_identifier_kinds_and_normalised_values(tmp_path):
    valid = check(bundle(tmp_path, identifiers="record_id,kind,value\nR1,PHONE,+44 7700 900111\nR2,PHONE,07700900111\n"
                                               "R1,VEHICLE,ab12 cde\nR1,PHONE,n/a\nR1,PIGEON,x\n"))
    keys = valid.frames["identifiers"]["identifier_key"].tolist()
    assert keys == ["PHONE:07700900111", "PHONE:07700900111", "VEHICLE:AB12CDE"]
    assert [(r[1], r[2]) for r in issue(valid, "REJECT")] == [(5, "value"), (6, "kind")]


def test_line_numbers_count_newlines_inside_quoted_cells(tmp_path):
    text = 'incident_id,reported_at,offence,summary\nI1,2023-01-02,Theft,"line one\nline two\nline three"\nI2,bad,Theft,x\n'
    valid = check(bundle(tmp_path, incidents=text, involvements="incident_id,record_id,role\nI1,R1,VICTIM\n"))
    assert issue(valid, "REJECT")[0][:3] == ("incidents.csv", 5, "reported_at")
    assert valid.frames["incidents"].iloc[0]["summary"] == "line one\nline two\nline three"


def test_gzip_files_and_lists(tmp_path):
    folder = bundle(tmp_path, incidents=None)
    with gzip.open(folder / "incidents.csv.gz", "wt", encoding="utf-8") as fh:
        fh.write("incident_id,reported_at,offence,flags\nI1,2023-01-02,Theft, cse ;GANG;;\n")
    valid = check(folder)
    inc = valid.frames["incidents"].iloc[0]
    assert inc["flags"] == ["CSE", "GANG"] and bool(inc["flagged_cse"]) is True


def test_every_row_is_loaded_or_rejected_on_the_tiny_bundle(tiny_bundle):
    valid = check(tiny_bundle)
    assert sum(c.read for c in valid.counts.values()) == 34
    assert sum(c.rejected for c in valid.counts.values()) == 0
    assert issue(valid, "WARNING") == [("person_records.csv", 5, "date_of_birth",
                                        'date of birth "1990-13-04" is not a real date (YYYY, YYYY-MM or YYYY-MM-DD); kept as unknown')]


def test_rows_in_equal_loaded_plus_rejected_on_a_messy_bundle(tmp_path, tiny_bundle):
    folder = tmp_path / "messy"
    shutil.copytree(tiny_bundle, folder)
    with open(folder / "involvements.csv", "a") as fh:
        fh.write("INC-1,P-404,SUSPECT\nINC-404,P-1,VICTIM\nINC-1,P-1,SPECTATOR\n,P-1,VICTIM\n")
    with open(folder / "person_records.csv", "a") as fh:
        fh.write("P-1,RMS,Dup,,,,,,,\n")
    valid = check(folder)
    total_read = sum(c.read for c in valid.counts.values())
    assert total_read == 39
    assert sum(c.loaded for c in valid.counts.values()) + sum(c.rejected for c in valid.counts.values()) == total_read
    rejects = valid.issues[valid.issues["severity"] == "REJECT"]
    assert len(rejects) == 5
    assert pd.Series(rejects["reason"]).str.len().min() > 10
