"""Turn the generated force into the record bundle (record-bundle.md) and its ground
truth: ids, ISO dates, deterministic row order. Tables are dicts of numpy object
columns and are written with the csv module, which keeps the large scale fast and
small in memory."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from csenet.loaders.spec import FILES as SPEC_FILES

from .force import ROLES, Force
from .records import Records
from .scales import EXTRACTED_AT

Frame = dict[str, np.ndarray]

# The bundle contract (shared/spec/record-bundle.md) as the loader reads it: one source.
HEADERS = {f.name + ".csv": list(f.column_names) for f in SPEC_FILES}
TRUTH_HEADERS = {
    "persons.csv": ["record_id", "true_person_id"],
    "networks.csv": ["network_id", "kind", "true_person_id", "member_role"],
    "incidents.csv": ["incident_id", "meets_cse_definition", "is_cce", "network_id"],
    "expected_rejects.csv": ["file", "line", "key", "reason"],
    "expected_warnings.csv": ["file", "line", "key", "reason"],
}


def iso_minutes(m: np.ndarray) -> np.ndarray:
    return np.datetime_as_string(np.asarray(m).astype("datetime64[m]"), unit="m").astype(object)


def iso_days(d: np.ndarray) -> np.ndarray:
    return np.datetime_as_string(np.asarray(d).astype("datetime64[D]"), unit="D").astype(object)


def take(frame: Frame, index: np.ndarray) -> Frame:
    return {k: v[index] for k, v in frame.items()}


def from_pandas(df: pd.DataFrame, columns: list[str]) -> Frame:
    return {c: df[c].to_numpy(dtype=object) for c in columns}


class Assembler:
    def __init__(self, force: Force, recs: Records, flags: np.ndarray) -> None:
        self.f, self.recs, self.flags = force, recs, flags
        self.rng = force.rng

    def locations(self) -> tuple[np.ndarray, np.ndarray, Frame]:
        f, geo, rng = self.f, self.f.geo, self.rng
        I, Mi = f.incidents, f.missing
        refs = np.concatenate([I["loc"], Mi["found"]])
        homes = np.unique(-refs[refs <= -2] - 2)
        P = geo.premises.columns()
        n_prem = len(P["kind"])
        prem_addr = P["addr"]
        has_addr = prem_addr >= 0
        A = geo.addresses.columns()
        addr_txt = np.full(n_prem, "", dtype=object)
        pc = np.full(n_prem, "", dtype=object)
        addr_txt[has_addr] = geo.address_text(prem_addr[has_addr])
        pc[has_addr] = geo.postcode_of(prem_addr[has_addr])
        lat = np.full(n_prem, np.nan)
        lon = np.full(n_prem, np.nan)
        lat[has_addr], lon[has_addr] = A["lat"][prem_addr[has_addr]], A["lon"][prem_addr[has_addr]]
        lat = np.concatenate([lat, A["lat"][homes]])
        lon = np.concatenate([lon, A["lon"][homes]])
        n = len(lat)
        gone = np.isnan(lat) | (rng.random(n) < 0.07)
        fmt = lambda a: np.array(["" if g else f"{x:.5f}" for x, g in zip(a, gone)], dtype=object)
        ids = np.array([f"LOC-{i + 1:06d}" for i in range(n)], dtype=object)
        loc = {"location_id": ids,
               "kind": np.concatenate([P["kind"], np.full(len(homes), "RESIDENTIAL", dtype=object)]),
               "name": np.concatenate([P["name"], np.full(len(homes), "", dtype=object)]),
               "address": np.concatenate([addr_txt, geo.address_text(homes)]),
               "postcode": np.concatenate([pc, geo.postcode_of(homes)]),
               "latitude": fmt(lat), "longitude": fmt(lon)}

        def of(r: np.ndarray) -> np.ndarray:
            out = np.full(len(r), "", dtype=object)
            p = r >= 0
            out[p] = ids[r[p]]
            h = r <= -2
            out[h] = ids[n_prem + np.searchsorted(homes, -r[h] - 2)]
            return out
        return of(I["loc"]), of(Mi["found"]), loc

    def frames(self) -> tuple[dict[str, Frame], dict[str, Frame]]:
        f, recs, rng = self.f, self.recs, self.rng
        I = f.incidents.columns()
        n = len(I["reported"])
        order = np.lexsort((rng.random(n), I["reported"]))
        years = (I["reported"][order] // 1440).astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970
        first = np.r_[True, years[1:] != years[:-1]]
        start = np.maximum.accumulate(np.where(first, np.arange(n), 0))
        seq = np.arange(n) - start + 1
        inc_id = np.empty(n, dtype=object)
        inc_id[order] = np.array([f"CR-{y}-{s:06d}" for y, s in zip(years, seq)], dtype=object)

        inc_loc, found_loc, locations = self.locations()
        occurred = np.where(I["occ_prec"] == 2, iso_minutes(I["occurred"]),
                            np.where(I["occ_prec"] == 1, iso_days(I["occurred"] // 1440), "")).astype(object)
        district = np.array(f.geo.district_names, dtype=object)[I["district"]]
        district[rng.random(n) < 0.01] = ""
        inc_loc[(I["cat"] == 0) & (rng.random(n) < 0.03)] = ""
        incidents = take({"incident_id": inc_id, "reported_at": iso_minutes(I["reported"]), "occurred_at": occurred,
                          "offence_code": I["code"], "offence": I["offence"], "flags": self.flags,
                          "location_id": inc_loc, "district": district, "summary": I["summary"]}, order)

        V = f.involvements.columns()
        rank = np.empty(n, dtype=np.int64)
        rank[order] = np.arange(n)
        rec_idx = recs.involvement_index
        key = (rank[V["incident"]] * 8 + V["role"]) * (1 << 24) + rec_idx
        _, keep = np.unique(key, return_index=True)
        rid = recs.columns["record_id"]
        involvements = {"incident_id": inc_id[V["incident"][keep]], "record_id": rid[rec_idx[keep]],
                        "role": np.array(ROLES, dtype=object)[V["role"][keep]]}

        rc = recs.columns
        by_number = np.argsort(rc["sort"], kind="stable")
        people = {c: rc[c][by_number] for c in HEADERS["person_records.csv"]}

        A = f.associations.columns()
        a_rec, b_rec = recs.of_association
        ok = (A["a"] != A["b"]) & (a_rec != b_rec)
        o = np.flatnonzero(ok)[np.lexsort((np.flatnonzero(ok), A["day"][ok]))]
        assoc = {"record_id_a": a_rec[o], "record_id_b": b_rec[o], "kind": A["kind"][o],
                 "source_ref": A["source_ref"][o], "grade": A["grade"][o], "recorded_at": iso_days(A["day"][o])}

        D = f.identifiers.columns()
        ident = pd.DataFrame({"record_id": recs.of_identifier, "kind": D["kind"], "value": D["value"],
                              "recorded_at": iso_days(D["day"]), "_d": D["day"]}, dtype=object)
        ident = ident.sort_values(["_d", "record_id"], kind="stable").drop(columns="_d").drop_duplicates()

        O = f.ocg.columns()
        ocg = pd.DataFrame({"ocg_id": O["ocg_id"], "ocg_name": O["name"], "record_id": recs.of_ocg,
                            "primary_crime": O["crime"], "mapped_at": iso_days(O["day"])}, dtype=object)
        ocg = ocg.drop_duplicates(["ocg_id", "record_id"]).sort_values(["ocg_id", "mapped_at", "record_id"], kind="stable")

        Mi = f.missing.columns()
        ended = np.where(Mi["end"] >= 0, iso_minutes(np.maximum(Mi["end"], 0)), "").astype(object)
        missing = pd.DataFrame({"record_id": recs.of_missing, "started_at": iso_minutes(Mi["start"]),
                                "ended_at": ended, "found_location_id": found_loc, "_s": Mi["start"]}, dtype=object)
        missing = missing.sort_values(["_s", "record_id"], kind="stable").drop(columns="_s")
        missing = missing.drop_duplicates(["record_id", "started_at"])

        bundle = {"incidents.csv": incidents, "person_records.csv": people, "involvements.csv": involvements,
                  "locations.csv": locations, "associations.csv": assoc,
                  "identifiers.csv": from_pandas(ident, HEADERS["identifiers.csv"]),
                  "ocg_members.csv": from_pandas(ocg, HEADERS["ocg_members.csv"]),
                  "missing_episodes.csv": from_pandas(missing, HEADERS["missing_episodes.csv"])}

        # Ground truth.
        persons_with_records = np.unique(rc["person"])
        tp_num = rng.permutation(len(persons_with_records)) + 1
        tp_of = np.full(len(f.pop.table), "", dtype=object)
        tp_of[persons_with_records] = np.array([f"TP-{k:07d}" for k in tp_num], dtype=object)
        t_persons = {"record_id": people["record_id"], "true_person_id": tp_of[rc["person"][by_number]]}
        T = f.truth_net.columns()
        t_net = pd.DataFrame({"network_id": T["network"], "kind": T["kind"], "true_person_id": tp_of[T["person"]],
                              "member_role": T["role"]}, dtype=object)
        t_net = t_net[t_net["true_person_id"] != ""].drop_duplicates()
        t_net = t_net.sort_values(["network_id", "member_role", "true_person_id"], kind="stable")
        t_inc = take({"incident_id": inc_id, "meets_cse_definition": np.where(I["meets"], "true", "false").astype(object),
                      "is_cce": np.where(I["is_cce"], "true", "false").astype(object), "network_id": I["network"]}, order)
        truth = {"persons.csv": t_persons, "networks.csv": from_pandas(t_net, TRUTH_HEADERS["networks.csv"]),
                 "incidents.csv": t_inc}
        return bundle, truth


def write_csv(frame: Frame, path: Path, columns: list[str]) -> int:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(columns)
        w.writerows(zip(*(frame[c] for c in columns)))
    return len(frame[columns[0]])


def write_bundle(out: Path, force: Force, bundle: dict[str, Frame], truth: dict[str, Frame],
                 progress=None) -> dict[str, int]:
    out.mkdir(parents=True, exist_ok=True)
    (out / "truth").mkdir(exist_ok=True)
    meta = {"source": force.geo.source, "force": force.geo.force, "extracted_at": EXTRACTED_AT}
    (out / "bundle.yaml").write_text(yaml.safe_dump(meta, sort_keys=False), encoding="utf-8")
    counts: dict[str, int] = {}
    total = len(bundle) + len(truth)
    for i, (name, frame) in enumerate(bundle.items()):
        counts[name] = write_csv(frame, out / name, HEADERS[name])
        if progress:
            progress("writing", i + 1, total)
    for j, (name, frame) in enumerate(truth.items()):
        counts[f"truth/{name}"] = write_csv(frame, out / "truth" / name, TRUTH_HEADERS[name])
        if progress:
            progress("writing", len(bundle) + j + 1, total)
    return counts
