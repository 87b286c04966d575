"""A stand-in person-record generator for the resolution benchmark until synth/ lands.

Only person_records.csv and truth/persons.csv: people recorded one to many times with
nicknames, typos, missing or partial dates, day/month swaps, moves, and same-name
fathers and sons at one address.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import yaml

SCALES = {"small": 5_000, "medium": 250_000, "large": 2_500_000}
NAMES = Path(__file__).resolve().parents[1] / "synth" / "names.yaml"


def _zipf(rng, n_items: int, size: int) -> np.ndarray:
    w = 1.0 / np.arange(1, n_items + 1) ** 0.9
    return rng.choice(n_items, size=size, p=w / w.sum())


def _typo(rng, s: str) -> str:
    if len(s) < 3:
        return s
    i = int(rng.integers(1, len(s) - 1))
    k = rng.integers(3)
    if k == 0:
        return s[:i] + s[i + 1] + s[i] + s[i + 2:]
    if k == 1:
        return s[:i] + s[i + 1:]
    return s[:i] + "aeiourn"[int(rng.integers(7))] + s[i + 1:]


def generate(out: Path, scale: str = "small", seed: int = 7) -> dict:
    rng = np.random.default_rng(seed)
    names = yaml.safe_load(NAMES.read_text())
    fams = [f for lst in names["family"].values() for f in lst]
    given = {g: [n for lst in names["given"].values() for k, v in lst.items() if k.startswith(g) for n in v]
             for g in "MF"}
    nick = names["nicknames"]
    n_records = SCALES[scale]
    n_people = int(n_records / 2.4)
    areas = ["WB", "EV", "NQ", "SZ", "KX", "AJ", "HZ", "BV", "CQ", "FJ", "MQ", "RQ"]
    letters = "ABDEFGHJLNPQRSTUWXYZ"

    def new_postcode() -> str:
        return (f"{areas[rng.integers(len(areas))]}{rng.integers(1, 30)} "
                f"{rng.integers(1, 10)}{letters[rng.integers(20)]}{letters[rng.integers(20)]}")

    people = []
    for p in range(n_people):
        if people and rng.random() < 0.06:  # a son named after his father, same address
            f = dict(people[int(rng.integers(len(people)))])
            y = int(f["dob"][:4]) + int(rng.integers(18, 36))
            f.update(id=p, dob=f"{min(y, 2012)}-{rng.integers(1, 13):02d}-{rng.integers(1, 29):02d}",
                     nid=f"NI{p:08d}" if rng.random() < 0.15 else "")
            people.append(f)
            continue
        g = "MF"[int(rng.integers(2))]
        people.append({
            "id": p, "fam": fams[_zipf(rng, len(fams), 1)[0]], "gender": g,
            "given": given[g][_zipf(rng, len(given[g]), 1)[0]],
            "middle": given[g][int(rng.integers(len(given[g])))] if rng.random() < 0.35 else "",
            "dob": f"{rng.integers(1950, 2012)}-{rng.integers(1, 13):02d}-{rng.integers(1, 29):02d}",
            "pc": new_postcode(), "phone": f"07700{rng.integers(0, 999999):06d}" if rng.random() < 0.6 else "",
            "nid": f"NI{p:08d}" if rng.random() < 0.15 else "",
        })
    counts = 1 + rng.poisson(1.45, size=n_people)
    out.mkdir(parents=True, exist_ok=True)
    (out / "truth").mkdir(exist_ok=True)
    rid = 0
    with open(out / "person_records.csv", "w", newline="") as fr, open(out / "truth" / "persons.csv", "w", newline="") as ft:
        wr, wt = csv.writer(fr), csv.writer(ft)
        wr.writerow(["record_id", "source", "family_name", "given_names", "date_of_birth", "gender", "postcode",
                     "address", "phone", "national_id"])
        wt.writerow(["record_id", "true_person_id"])
        for person, k in zip(people, counts):
            moved = new_postcode()
            for _ in range(int(min(k, n_records - rid))):
                u = rng.random(12)
                fam = _typo(rng, person["fam"]) if u[0] < 0.05 else person["fam"]
                fam = fam.upper() if u[1] < 0.2 else fam
                gv = person["given"]
                if u[2] < 0.12 and gv in nick:
                    gv = nick[gv][int(rng.integers(len(nick[gv])))]
                elif u[2] > 0.95:
                    gv = _typo(rng, gv)
                gvs = f"{gv} {person['middle']}".strip() if u[3] < 0.5 else gv
                dob = person["dob"]
                if u[4] < 0.10:
                    dob = ""
                elif u[4] < 0.14:
                    dob = dob[:4]
                elif u[4] < 0.16 and int(dob[8:]) <= 12:
                    dob = f"{dob[:4]}-{dob[8:]}-{dob[5:7]}"
                pc = "" if u[5] < 0.15 else (moved if u[6] < 0.2 else person["pc"])
                ph = person["phone"] if u[7] < 0.4 else ""
                nid = person["nid"] if u[8] < 0.4 else ""
                if u[9] < 0.03:
                    fam, gvs = gv, person["fam"]
                rid += 1
                wr.writerow([f"N{rid:08d}", "RMS", fam, gvs, dob, person["gender"], pc, "", ph, nid])
                wt.writerow([f"N{rid:08d}", f"P{person['id']:08d}"])
    return {"records": rid, "people": n_people}
