"""Turn the generated force into the record bundle (record-bundle.md) and its ground
truth: ids, ISO dates, one CSV per file, deterministic row order."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .force import ROLES, Force
from .records import Records
from .scales import EXTRACTED_AT

HEADERS = {
    "incidents.csv": ["incident_id", "reported_at", "occurred_at", "offence_code", "offence", "flags", "location_id",
                      "district", "summary"],
    "person_records.csv": ["record_id", "source", "family_name", "given_names", "date_of_birth", "gender", "postcode",
                           "address", "phone", "national_id"],
    "involvements.csv": ["incident_id", "record_id", "role"],
    "locations.csv": ["location_id", "kind", "name", "address", "postcode", "latitude", "longitude"],
    "associations.csv": ["record_id_a", "record_id_b", "kind", "source_ref", "grade", "recorded_at"],
    "identifiers.csv": ["record_id", "kind", "value", "recorded_at"],
    "ocg_members.csv": ["ocg_id", "ocg_name", "record_id", "primary_crime", "mapped_at"],
    "missing_episodes.csv": ["record_id", "started_at", "ended_at", "found_location_id"],
}
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


class Assembler:
    def __init__(self, force: Force, recs: Records, flags: np.ndarray) -> None:
        self.f, self.recs, self.flags = force, recs, flags
        self.rng = force.rng

    def location_ids(self) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
        f, geo, rng = self.f, self.f.geo, self.rng
        I, Mi = f.incidents, f.missing
        refs = np.concatenate([I["loc"], Mi["found"]])
        homes = np.unique(-refs[refs <= -2] - 2)
        n_prem = len(geo.premises)
        P = geo.premises.columns()
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
        prem = pd.DataFrame({"kind": P["kind"], "name": P["name"], "address": addr_txt, "postcode": pc,
                             "latitude": lat, "longitude": lon})
        res = pd.DataFrame({"kind": "RESIDENTIAL", "name": "", "address": geo.address_text(homes),
                            "postcode": geo.postcode_of(homes), "latitude": A["lat"][homes], "longitude": A["lon"][homes]})
        loc = pd.concat([prem, res], ignore_index=True)
        no_geo = rng.random(len(loc)) < 0.07
        loc.loc[no_geo, ["latitude", "longitude"]] = np.nan
        loc["latitude"] = loc["latitude"].map(lambda x: "" if np.isnan(x) else f"{x:.5f}")
        loc["longitude"] = loc["longitude"].map(lambda x: "" if np.isnan(x) else f"{x:.5f}")
        loc.insert(0, "location_id", [f"LOC-{i + 1:06d}" for i in range(len(loc))])
        # Map a reference to its row: premises first, then the homes in address order.
        def ids(r: np.ndarray) -> np.ndarray:
            out = np.full(len(r), "", dtype=object)
            p = r >= 0
            out[p] = loc["location_id"].to_numpy()[r[p]]
            h = r <= -2
            out[h] = loc["location_id"].to_numpy()[n_prem + np.searchsorted(homes, -r[h] - 2)]
            return out
        return ids(I["loc"]), ids(Mi["found"]), loc

    def frames(self) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
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

        inc_loc, found_loc, locations = self.location_ids()
        occurred = np.where(I["occ_prec"] == 2, iso_minutes(I["occurred"]),
                            np.where(I["occ_prec"] == 1, iso_days(I["occurred"] // 1440), "")).astype(object)
        district = np.array(f.geo.district_names, dtype=object)[I["district"]]
        district[rng.random(n) < 0.01] = ""
        inc_loc[(I["cat"] == 0) & (rng.random(n) < 0.03)] = ""
        incidents = pd.DataFrame({"incident_id": inc_id, "reported_at": iso_minutes(I["reported"]),
                                  "occurred_at": occurred, "offence_code": I["code"], "offence": I["offence"],
                                  "flags": self.flags, "location_id": inc_loc, "district": district,
                                  "summary": I["summary"]}).iloc[order].reset_index(drop=True)

        V = f.involvements.columns()
        roles = np.array(ROLES, dtype=object)
        rank = np.empty(n, dtype=np.int64)
        rank[order] = np.arange(n)
        inv = pd.DataFrame({"incident_id": inc_id[V["incident"]], "record_id": recs.of_involvement,
                            "role": roles[V["role"]], "_k": rank[V["incident"]], "_r": V["role"]})
        inv = inv.sort_values(["_k", "_r", "record_id"], kind="stable").drop_duplicates(["incident_id", "record_id", "role"])
        inv = inv[HEADERS["involvements.csv"]].reset_index(drop=True)

        rc = recs.columns
        people = pd.DataFrame({k: rc[k] for k in HEADERS["person_records.csv"]})
        people["_sort"] = rc["sort"]
        people = people.sort_values("_sort", kind="stable").drop(columns="_sort").reset_index(drop=True)

        A = f.associations.columns()
        assoc = pd.DataFrame({"record_id_a": recs.of_association[0], "record_id_b": recs.of_association[1],
                              "kind": A["kind"], "source_ref": A["source_ref"], "grade": A["grade"],
                              "recorded_at": iso_days(A["day"]), "_d": A["day"]})
        assoc = assoc[(A["a"] != A["b"]) & (assoc["record_id_a"] != assoc["record_id_b"])]
        assoc = assoc.sort_values(["_d", "source_ref"], kind="stable").drop(columns="_d").reset_index(drop=True)

        D = f.identifiers.columns()
        ident = pd.DataFrame({"record_id": recs.of_identifier, "kind": D["kind"], "value": D["value"],
                              "recorded_at": iso_days(D["day"]), "_d": D["day"]})
        ident = ident.sort_values(["_d", "record_id"], kind="stable").drop(columns="_d").drop_duplicates().reset_index(drop=True)

        O = f.ocg.columns()
        ocg = pd.DataFrame({"ocg_id": O["ocg_id"], "ocg_name": O["name"], "record_id": recs.of_ocg,
                            "primary_crime": O["crime"], "mapped_at": iso_days(O["day"])})
        ocg = ocg.drop_duplicates(["ocg_id", "record_id"]).sort_values(["ocg_id", "mapped_at", "record_id"], kind="stable")
        ocg = ocg.reset_index(drop=True)

        Mi = f.missing.columns()
        ended = np.where(Mi["end"] >= 0, iso_minutes(np.maximum(Mi["end"], 0)), "").astype(object)
        missing = pd.DataFrame({"record_id": recs.of_missing, "started_at": iso_minutes(Mi["start"]),
                                "ended_at": ended, "found_location_id": found_loc, "_s": Mi["start"]})
        missing = missing.sort_values(["_s", "record_id"], kind="stable").drop(columns="_s")
        missing = missing.drop_duplicates(["record_id", "started_at"]).reset_index(drop=True)

        bundle = {"incidents.csv": incidents, "person_records.csv": people, "involvements.csv": inv,
                  "locations.csv": locations, "associations.csv": assoc, "identifiers.csv": ident,
                  "ocg_members.csv": ocg, "missing_episodes.csv": missing}

        # Ground truth.
        persons_with_records = np.unique(rc["person"])
        tp_num = rng.permutation(len(persons_with_records)) + 1
        tp_of = np.full(len(f.pop.table), "", dtype=object)
        tp_of[persons_with_records] = np.array([f"TP-{k:07d}" for k in tp_num], dtype=object)
        t_persons = pd.DataFrame({"record_id": rc["record_id"], "true_person_id": tp_of[rc["person"]], "_s": rc["sort"]})
        t_persons = t_persons.sort_values("_s").drop(columns="_s").reset_index(drop=True)
        T = f.truth_net.columns()
        t_net = pd.DataFrame({"network_id": T["network"], "kind": T["kind"], "true_person_id": tp_of[T["person"]],
                              "member_role": T["role"]})
        t_net = t_net[t_net["true_person_id"] != ""].drop_duplicates()
        t_net = t_net.sort_values(["network_id", "member_role", "true_person_id"], kind="stable").reset_index(drop=True)
        t_inc = pd.DataFrame({"incident_id": inc_id, "meets_cse_definition": np.where(I["meets"], "true", "false"),
                              "is_cce": np.where(I["is_cce"], "true", "false"), "network_id": I["network"]})
        t_inc = t_inc.iloc[order].reset_index(drop=True)
        truth = {"persons.csv": t_persons, "networks.csv": t_net, "incidents.csv": t_inc}
        return bundle, truth


def write_csv(df: pd.DataFrame, path: Path, columns: list[str]) -> None:
    df = df[columns]
    df.to_csv(path, index=False, lineterminator="\n", na_rep="", encoding="utf-8")


def write_bundle(out: Path, force: Force, bundle: dict[str, pd.DataFrame], truth: dict[str, pd.DataFrame],
                 progress=None) -> dict[str, int]:
    out.mkdir(parents=True, exist_ok=True)
    (out / "truth").mkdir(exist_ok=True)
    meta = {"source": force.geo.source, "force": force.geo.force, "extracted_at": EXTRACTED_AT}
    (out / "bundle.yaml").write_text(yaml.safe_dump(meta, sort_keys=False), encoding="utf-8")
    counts: dict[str, int] = {}
    total = len(bundle) + len(truth)
    for i, (name, df) in enumerate(bundle.items()):
        write_csv(df, out / name, HEADERS[name])
        counts[name] = len(df)
        if progress:
            progress("writing", i + 1, total)
    for j, (name, df) in enumerate(truth.items()):
        write_csv(df, out / "truth" / name, TRUTH_HEADERS[name])
        counts[f"truth/{name}"] = len(df)
        if progress:
            progress("writing", len(bundle) + j + 1, total)
    return counts
