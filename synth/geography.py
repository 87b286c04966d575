"""Districts, streets, postcodes, homes and premises of the synthetic force.

A location reference `L` is one int: L >= 0 is a premises (hotel, takeaway, vehicle,
online platform...) and L <= -2 is a residential address (index -L - 2); -1 is none.
Residential addresses only become rows of locations.csv when something happens there.
"""

from __future__ import annotations

import numpy as np

from .data import load
from .table import Table

INWARD_LETTERS = np.array(list("ABDEFGHJLNPQRSTUWXYZ"))
KINDS = ("RESIDENTIAL", "HOTEL", "TAKEAWAY", "PARK", "SCHOOL", "CARE_HOME", "VEHICLE", "ONLINE", "SHOP", "OTHER")
# Premises per 1,000 residents of a district, by kind.
PREMISES_RATE = {"HOTEL": 0.35, "TAKEAWAY": 1.2, "PARK": 0.6, "SCHOOL": 0.5, "CARE_HOME": 0.25, "SHOP": 2.0, "OTHER": 1.2}


def address_ref(addr: np.ndarray | int):
    return -np.asarray(addr) - 2


def vrm(rng: np.random.Generator) -> str:
    letters = "ABCDEFGHJKLMNOPRSTUVWXY"
    a = "".join(rng.choice(list(letters), 2))
    b = "".join(rng.choice(list(letters), 3))
    return f"{a}{rng.integers(10, 73):02d} {b}"


class Geography:
    def __init__(self, rng: np.random.Generator, n_districts: int, residents: int) -> None:
        places = load("places")
        self.rng = rng
        self.force = places["force"]
        self.source = places["source"]
        chosen = places["districts"][:n_districts]
        self.district_names = [d[0] for d in chosen]
        self.district_codes = [d[1] for d in chosen]
        self.n = n_districts
        share = rng.dirichlet(np.full(n_districts, 6.0))
        self.district_weight = share / share.sum()
        clat, clon = places["centre"]
        side = int(np.ceil(np.sqrt(n_districts)))
        grid = np.array([(i // side, i % side) for i in range(n_districts)], dtype=float)
        self.centre = np.column_stack([clat + (grid[:, 0] - side / 2) * 0.09, clon + (grid[:, 1] - side / 2) * 0.14])

        street_words = [f"{a} {b}" for a in places["streets"]["first"] for b in places["streets"]["last"]]
        self.street_name: list[str] = []
        self.street_district: list[int] = []
        self.street_sector: list[int] = []
        self.street_pos: list[tuple[float, float]] = []
        self._streets_by_district: list[np.ndarray] = []
        for d in range(n_districts):
            per = max(25, min(len(street_words), int(residents * self.district_weight[d] / 45)))
            names = rng.choice(len(street_words), per, replace=False)
            start = len(self.street_name)
            for s in names:
                self.street_name.append(street_words[s])
                self.street_district.append(d)
                self.street_sector.append(int(rng.integers(1, 10)))
                self.street_pos.append((self.centre[d, 0] + rng.normal(0, 0.018), self.centre[d, 1] + rng.normal(0, 0.028)))
            self._streets_by_district.append(np.arange(start, len(self.street_name)))
        self.street_pos_arr = np.array(self.street_pos)
        self._street_next_number = np.ones(len(self.street_name), dtype=np.int64)

        self.addresses = Table(street="i8", number="i8", flat="i8", district="i8", unit="i8", lat="f8", lon="f8")
        self.unit_code: list[str] = []
        self._unit_of: dict[int, int] = {}
        self._inward_perm = rng.permutation(10 * 20 * 20)
        self._outcode_count: dict[str, int] = {}

        self.premises = Table(kind="O", name="O", addr="i8", district="i8")
        self.premises_kind: list[str] = []
        self.premises_names: list[str] = []
        self._premises_by: dict[tuple[int, str], list[int]] = {}
        self._words = places["streets"]["first"]
        self._templates = places["premises"]
        self._saints = places["saints"]
        for d in range(n_districts):
            pop = residents * self.district_weight[d] / 1000
            for kind, rate in PREMISES_RATE.items():
                for _ in range(max(2, int(round(pop * rate)))):
                    self.new_premises(kind, d)
        self.platforms = places["online_platforms"]
        self.online: dict[str, int] = {}
        for label, _ in self.platforms:
            self.premises_kind.append("ONLINE")
            self.premises_names.append(label)
            self.online[label] = self.premises.append(kind="ONLINE", name=label, addr=-1, district=-1)
        self.vehicle_colours = places["vehicle_colours"]
        self.vehicle_makes = places["vehicle_makes"]

    # -- addresses ---------------------------------------------------------------
    def new_addresses(self, districts: np.ndarray) -> np.ndarray:
        """One new home in each given district; returns address indices."""
        rng = self.rng
        districts = np.asarray(districts, dtype=np.int64)
        street = np.empty(len(districts), dtype=np.int64)
        for d in np.unique(districts):
            mask = districts == d
            pool = self._streets_by_district[d]
            street[mask] = pool[rng.integers(0, len(pool), int(mask.sum()))]
        # House numbers run up each street in the order homes are created.
        order = np.argsort(street, kind="stable")
        s_sorted = street[order]
        first = np.r_[True, s_sorted[1:] != s_sorted[:-1]]
        group_start = np.maximum.accumulate(np.where(first, np.arange(len(s_sorted)), 0))
        rank = np.arange(len(s_sorted)) - group_start
        number = np.empty(len(districts), dtype=np.int64)
        number[order] = self._street_next_number[s_sorted] + rank
        np.add.at(self._street_next_number, street, 1)
        flat = np.where(rng.random(len(districts)) < 0.15, rng.integers(1, 9, len(districts)), -1)
        keys = street * 1000 + number // 14
        unit = np.array([self._unit(int(k), int(s)) for k, s in zip(keys, street)], dtype=np.int64) if len(keys) else keys
        pos = self.street_pos_arr[street]
        lat = pos[:, 0] + rng.normal(0, 0.0015, len(districts))
        lon = pos[:, 1] + rng.normal(0, 0.0025, len(districts))
        return self.addresses.extend(street=street, number=number, flat=flat, district=districts, unit=unit, lat=lat, lon=lon)

    def new_address(self, district: int) -> int:
        """One home; the scalar path planted cases use thousands of times."""
        rng = self.rng
        pool = self._streets_by_district[district]
        street = int(pool[int(rng.integers(len(pool)))])
        number = int(self._street_next_number[street])
        self._street_next_number[street] += 1
        flat = int(rng.integers(1, 9)) if rng.random() < 0.15 else -1
        lat, lon = self.street_pos[street]
        return self.addresses.append(street=street, number=number, flat=flat, district=district,
                                     unit=self._unit(street * 1000 + number // 14, street),
                                     lat=lat + rng.normal(0, 0.0015), lon=lon + rng.normal(0, 0.0025))

    def _unit(self, key: int, street: int) -> int:
        u = self._unit_of.get(key)
        if u is None:
            d = self.street_district[street]
            outcode = f"{self.district_codes[d]}{self.street_sector[street]}"
            k = self._outcode_count.get(outcode)
            if k is None:
                k = int(self.rng.integers(len(self._inward_perm)))
            self._outcode_count[outcode] = k + 1
            c = int(self._inward_perm[k % len(self._inward_perm)])
            code = f"{outcode} {c // 400}{INWARD_LETTERS[(c // 20) % 20]}{INWARD_LETTERS[c % 20]}"
            u = len(self.unit_code)
            self.unit_code.append(code)
            self._unit_of[key] = u
        return u

    def address_text(self, addr: np.ndarray) -> np.ndarray:
        a = self.addresses.columns()
        names = np.array(self.street_name, dtype=object)
        out = np.empty(len(addr), dtype=object)
        for i, (s, n, f) in enumerate(zip(a["street"][addr], a["number"][addr], a["flat"][addr])):
            out[i] = f"{n} {names[s]}" if f < 0 else f"Flat {f}, {n} {names[s]}"
        return out

    def postcode_of(self, addr: np.ndarray) -> np.ndarray:
        codes = np.array(self.unit_code, dtype=object)
        return codes[self.addresses["unit"][addr]]

    def place_text(self, refs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Postcode and address text of location references (homes or premises)."""
        refs = np.asarray(refs)
        prem = refs >= 0
        addr = np.where(prem, self.premises["addr"][np.maximum(refs, 0)], -refs - 2)
        uniq, inv = np.unique(addr, return_inverse=True)
        postcode = self.postcode_of(uniq)[inv]
        text = self.address_text(uniq)[inv]
        names = np.array(self.premises_names, dtype=object)
        text[prem] = names[refs[prem]] + ", " + text[prem]
        return postcode.copy(), text.copy()

    # -- premises ----------------------------------------------------------------
    def new_premises(self, kind: str, district: int, name: str | None = None) -> int:
        rng = self.rng
        if name is None:
            tpl = self._templates[kind][int(rng.integers(len(self._templates[kind])))]
            name = tpl.format(w=self._words[int(rng.integers(len(self._words)))].split()[0],
                              s=self._saints[int(rng.integers(len(self._saints)))], colour="", make="")
        addr = self.new_address(district)
        idx = self.premises.append(kind=kind, name=name, addr=addr, district=district)
        self.premises_kind.append(kind)
        self.premises_names.append(name)
        self._premises_by.setdefault((district, kind), []).append(idx)
        return idx

    def new_vehicle(self, district: int, plate: str) -> int:
        rng = self.rng
        name = f"{self.vehicle_colours[int(rng.integers(len(self.vehicle_colours)))]} {self.vehicle_makes[int(rng.integers(len(self.vehicle_makes)))]} {plate}"
        self.premises_kind.append("VEHICLE")
        self.premises_names.append(f"Vehicle: {name}")
        return self.premises.append(kind="VEHICLE", name=f"Vehicle: {name}", addr=-1, district=district)

    def pick(self, kind: str, district: int, size: int | None = None):
        pool = self._premises_by[(district, kind)]
        if size is None:
            return pool[int(self.rng.integers(len(pool)))]
        return np.asarray(pool)[self.rng.integers(0, len(pool), size)]

    def premises_kind_of(self, ref: int) -> str:
        return "RESIDENTIAL" if ref <= -2 else self.premises_kind[ref] if ref >= 0 else ""

    def premises_name(self, ref: int) -> str:
        return self.premises_names[ref]

    def street_of_district(self, district: int) -> str:
        pool = self._streets_by_district[district]
        return self.street_name[int(pool[int(self.rng.integers(len(pool)))])]
