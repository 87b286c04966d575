"""Officers' free text: summaries that read like real MO notes, built from many
templates and fillers so no two forces (or seeds) write the same way."""

from __future__ import annotations

import random

from .data import load

AGE_FORMS = ["{Noun} aged {a}", "{a}-year-old {noun}", "{Sex} (aged {a})", "{Sex}, {a},", "{Noun} ({a})",
             "{a}yo {sex}", "Child ({a})", "{Noun} aged {a}"]
NO_AGE_FORMS = ["The victim", "{Sex} victim", "The child", "The young person", "The {noun}"]
ADULT_FORMS = ["{Adult} aged {a}", "{Sex} ({a})", "{a}-year-old {adult}", "{Sex}, {a},"]
GROUP_WORDS = ("both", "more than one", "them", "turns")
EXCHANGE_KINDS = ["alcohol", "drugs", "money", "phone", "lifts", "stay", "food", "cigarettes", "gifts", "affection"]


def cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def low(s: str) -> str:
    """Lower-case the first letter, unless the word is an acronym."""
    return s if s[1:2].isupper() else s[:1].lower() + s[1:]


class _Mapping(dict):
    def __init__(self, writer: "Writer", ctx: dict) -> None:
        super().__init__(ctx)
        self.w = writer

    def __missing__(self, key: str) -> str:
        value = self.w.filler(key, self)
        self[key] = value
        return value


class Writer:
    def __init__(self, seed: int, geo) -> None:
        self.r = random.Random(seed)
        self.t = load("texts")
        self.geo = geo
        places = load("places")
        self.platforms = [p[0] for p in places["online_platforms"]]

    def pick(self, seq):
        return seq[self.r.randrange(len(seq))]

    # -- people ------------------------------------------------------------------
    def child(self, age: int, female: bool, *, state_age: bool = True, care: bool = False) -> dict:
        noun, sex = ("girl", "female") if female else ("boy", "male")
        if age >= 18:
            form = self.pick(ADULT_FORMS)
        elif state_age:
            form = self.pick(AGE_FORMS)
        else:
            form = self.pick(NO_AGE_FORMS + (["A looked-after child"] if care else []))
        adult = "woman" if female else "man"
        V = form.format(Noun=cap(noun), noun=noun, Sex=cap(sex), sex=sex, a=age, Adult=cap(adult), adult=adult)
        V = V.rstrip(",") if V.endswith(",") else V
        ctx = self.pronouns(female)
        ctx.update(V=V, v=low(V), home_kind="care" if care else "home")
        return ctx

    @staticmethod
    def pronouns(female: bool) -> dict:
        if female:
            return {"she": "she", "She": "She", "obj": "her", "pos": "her", "Pos": "Her"}
        return {"she": "he", "She": "He", "obj": "him", "pos": "his", "Pos": "His"}

    def men(self, n: int, ages: list[int] | None = None) -> str:
        if n <= 1:
            return self.pick(["an older male", "a man in his {dec}s", "a male known as '{nick}'", "an adult male",
                              "a {age}-year-old man", "a man {she} knew as '{nick}'", "the suspect"])
        words = {2: "two", 3: "three", 4: "four", 5: "five"}.get(n, "several")
        return self.pick([f"{words} older men", f"{words} males in their twenties", f"{words} adult males",
                          f"a group of {words} men", f"{words} men known to {{obj}} as '{{nick}}' and friends",
                          "a group of older males", f"{words} men"])

    def men_text(self, n: int, ctx: dict) -> str:
        return self.fill(self.men(n), ctx)

    # -- fillers -----------------------------------------------------------------
    def filler(self, key: str, m: _Mapping) -> str:
        t, r = self.t, self.r
        d = m.get("district_i", 0)
        simple = {"professional": "professionals", "reporter": "reporters", "nick": "nicknames", "meet": "meets"}
        if key in simple:
            return self.pick(t[simple[key]]).format_map(m)
        if key == "car":
            return f"{self.pick(['black', 'silver', 'grey', 'white', 'blue'])} {self.pick(['Audi', 'BMW', 'Vauxhall Astra', 'Toyota Prius', 'Mercedes', 'Ford Focus', 'VW Golf', 'taxi'])}"
        if key == "platform":
            return self.pick(self.platforms)
        if key == "amount":
            return self.pick(["20", "40", "50", "100", "150", "200", "300", "400", "600"])
        if key == "street":
            return self.geo.street_of_district(d)
        if key in ("shop", "park"):
            return self.geo.premises_name(self.geo.pick(key.upper(), d))
        if key == "district":
            return self.geo.district_names[d]
        if key == "home_district":
            return self.pick(["Manchester", "Liverpool", "Birmingham", "London", "Leeds", "Bradford", "Salford"])
        if key == "dec":
            return self.pick(["twenties", "thirties", "forties", "fifties"]).removesuffix("s")
        if key == "age":
            return str(r.randint(24, 58))
        if key in ("V", "v"):
            return "the victim"
        if key == "Fac":
            return cap(m["fac"])
        if key == "fac":
            return self.pick(t["facilitators"]).format_map(m)
        if key == "premises":
            return "premises"
        if key == "period":
            return self.pick(["two years", "several months", "a number of years", "the last year", "about six months"])
        if key in ("a1", "a2"):
            return str(m.get(key + "_v", 8))
        if key == "age_p":
            return str(r.randint(15, 23))
        if key == "neg":
            return self.pick(t["negations"]).format_map(m) if r.random() < 0.6 else ""
        if key == "neg_lc":
            return low(self.pick(t["negations"]).format_map(m))
        if key == "other":
            return self.pick(t["other_party"]).format_map(m)
        if key == "place":
            return "an address"
        raise KeyError(key)

    def fill(self, template: str, ctx: dict) -> str:
        text = template.format_map(_Mapping(self, ctx)).replace(" at a car (", " in a car (")
        return " ".join(text.split()).replace(" .", ".").replace(". .", ".").replace(",.", ".")

    # -- planted cases -------------------------------------------------------------
    def gift(self, kinds: list[str], ctx: dict) -> str:
        ex = self.t["exchange"]
        parts = [self.pick(ex[k]).format_map(_Mapping(self, ctx)) for k in kinds]
        return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]

    def sex(self, act: str, ctx: dict, group: bool = True) -> tuple[str, str]:
        """Passive and active wording; phrases that need more than one man only for groups."""
        s = self.t["sex"][act]
        m = _Mapping(self, ctx)
        ok = lambda p: group or not any(w in p for w in GROUP_WORDS)
        return (self.pick([p for p in s["passive"] if ok(p)]).format_map(m),
                self.pick([p for p in s["active"] if ok(p)]).format_map(m))

    def cse(self, group: str, ctx: dict) -> str:
        text = self.fill(self.pick(self.t["cse"][group]), ctx)
        return cap(text)

    def template(self, group: str, ctx: dict) -> str:
        return cap(self.fill(self.pick(self.t[group]), ctx))
