"""What reconciliation compares: a sentence read as a *claim* — the slot it is about, the typed
values it gives that slot, and the values it denies.

- **values** are typed, so only like compares with like: a date with a date, a quantity with a
  quantity of the same unit ("82 kg" / "79 kg", "30 days" / "90 days"), a version with a version,
  a name with a name, a code identifier with a code identifier. Relative time words ("next week",
  "tomorrow") are kept apart: they name no fixed moment, so they never conflict with a date.
- **slot** is what the sentence says something about: its content words without the values,
  time words, filler and units of measure, lightly stemmed ("guests" = "guest"); a counted noun
  ("150 guests") is part of the slot, a measure ("45 euros", "30 days") is not.
  Names both sentences mention are their shared *subject*.
- **denied** are values the sentence takes back: "not X", "no longer X", "instead of X",
  "rather than X", "X -> Y", "from X to Y", "~~X~~".
- **change**: worded as a change or a correction ("now", "moved", "correction", "turns out",
  …); **shift**: a time shift ("slips", "postponed", "pushed", …) that moves a dated thing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .classifier import STOP, content_words

_MONTHS = {
    m[:3]: m for m in "january february march april may june july august september october november december".split()
}
_MONTH_WORDS = frozenset([*_MONTHS.values(), *_MONTHS, "sept"])
_MONTH = rf"(?:{'|'.join(sorted(_MONTH_WORDS, key=len, reverse=True))})\b\.?"
_WEEKDAY = r"(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|sday|nesday|rsday|urday)?\b"
_ORD = r"(?:st|nd|rd|th)?"
_DATE = re.compile(
    rf"\b(?P<m1>{_MONTH})\s+(?:the\s+)?(?P<d1>\d{{1,2}}){_ORD}\b"
    rf"|\b(?:the\s+)?(?P<d2>\d{{1,2}}){_ORD}\s+(?:of\s+)?(?P<m2>{_MONTH})(?=\W|$)"
    rf"|\b(?P<iso>\d{{4}}-\d{{2}}-\d{{2}})\b"
    rf"|\bthe\s+(?P<d3>\d{{1,2}})(?:st|nd|rd|th)\b"
    rf"|\b(?P<wd>{_WEEKDAY})"
    rf"|\b(?:from|in|since|until|till|by)\s+(?P<m3>{_MONTH})(?=\W|$)"
)
_RELATIVE = re.compile(
    r"\b(?:today|tonight|tomorrow|yesterday|(?:this|next|last) (?:week|weekend|month|year|sprint|time)|"
    r"(?:the )?weekend|soon|later)\b"
)
_TIME = re.compile(r"\b\d{1,2}:\d{2}\b")
_CODE = re.compile(r"`([^`]+)`")
_NUMBER = r"\d+(?:[.,]\d+)*"
_QTY = re.compile(rf"(?P<cur>[$€£])?(?<![\w.])(?P<n>{_NUMBER})(?:\s*(?P<unit>%|[a-z]+))?")
_RANGE = re.compile(r"(?<![\w.:])(\d{1,2})\s*(?:till|until|to|-|–)\s*(\d{1,2})(?![\w:]|\.\d)")
_IDENT = re.compile(r"(?<![\w.-])(?=[\w-]*[a-z])(?=[\w-]*\d)[a-z][\w-]*(?![\w-])")  # b1, lh1234, europe-west4
_NUMWORDS = {
    w: str(i) for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve".split())
}
_NUMWORD = re.compile(rf"\b(?P<n>{'|'.join(_NUMWORDS)}|twice)\s+(?P<unit>[a-z]+)")
_NAME = re.compile(r"(?<=[\w,;:)] )(?:[A-Z][\w&'-]*(?:\s+(?:&\s+)?[A-Z][\w&'-]*)*)|\b[A-Z]{2,}\b")
# Units of one dimension compare with each other ("30 days" / "3 months", "4 employees" / "5 people").
_DIMENSIONS = {
    "duration": "s sec secs second m min mins minute h hr hrs hour day week month year night",
    "money": "eur euro € $ usd dollar £ gbp pound cent ct",
    "mass": "g gram kg kilo lb pound mg",
    "distance": "km mile metre meter",
    "people": "people person employee staff guest member attendee participant adult kid child children user",
}
_UNITS = {u: d for d, words in _DIMENSIONS.items() for u in words.split()}
_NOT_UNIT = frozenset(
    "a an the and or but to of in on at for with from by is are was were be am it this that x till until per "
    "if so as than then more less now".split()
)

_DENY = re.compile(
    r"\b(?:not|no longer|instead of|rather than|isn't|wasn't|aren't)\s+(?:the\s+|a\s+|on\s+|in\s+|at\s+)?"
    r"(?P<v>[^;:!?]{1,30}?)(?=\s*(?:[,.;:!?](?!\d)|$|\s(?:but|and|anymore|any more|because|since|as|so|it|we|i)\b))"
    r"|(?P<a>[^\s,;:(]+)\s*(?:->|→|=>)"
    r"|\bfrom\s+(?P<f>\S+(?:\s\S+)?)\s+to\s+\S"
    r"|~~(?P<s>[^~]+)~~"
)
_CHANGE = re.compile(
    r"\b(?:now|anymore|any more|no longer|instead|chang(?:e|ed|es|ing)|switch(?:ed|es|ing)?|mov(?:e|ed|es|ing)|"
    r"push(?:ed|es)?|slips?|slipped|bump(?:ed|ing)?|upgrad(?:e|ed|ing)|downgrad(?:e|ed|ing)|updated?|actually|"
    r"from now on|correction|correct(?:ed|ing)?|mistake|wrong|misspoke|scratch|turns out|turned out|replac(?:e|ed|ing)|"
    r"swap(?:ped)?|cancel(?:led|ed)?|postpon(?:e|ed)|delay(?:ed)?|reschedul(?:e|ed)|new one|went up|goes up|"
    r"went down|goes down|raised|lowered|dropped|grew|increased|decreased)\b|->|→|~~"
)
_SHIFT = re.compile(
    r"\b(?:slips?|slipped|push(?:ed|es)? (?:back|out|to)|postpon(?:e|ed|es)|delay(?:ed|s)?|reschedul(?:e|ed|es)|"
    r"mov(?:e|ed|es) (?:to|up|back)|brought forward|bring forward|shift(?:ed|s)? (?:to|by)|new date)\b"
)
_FILLER = frozenset(
    "new old thing things stuff time week day today also really sure fyi update quick big small bit lot "
    "want wants need needs think says said say know knows like make made take took get gets put keep still "
    "yet already just only maybe around about ok okay yeah yep good great fine well till until".split()
)


@dataclass(frozen=True)
class Claim:
    slot: frozenset[str]
    values: dict[str, frozenset[str]]
    names: frozenset[str]
    denied: frozenset[str]
    change: bool
    shift: bool
    words: frozenset[str] = frozenset()  # every content word, lower-cased

    def says(self, name: str) -> bool:
        """The name is in the sentence, as a name or not ("Kafka retention …" starts a sentence)."""
        return all(w in self.words for w in name.split() if w != "&")

    def subject_words(self) -> set[str]:
        """The words of its names, as slot words ("Miso" starts one sentence and is named in another)."""
        return {stem(w) for n in self.names for w in n.split() if w != "&"}

    def all_values(self) -> set[str]:
        return {v for vs in self.values.values() for v in vs}


def stem(word: str) -> str:
    """A light stem for matching slot words ("guests" = "guest", "moved" = "move")."""
    if word.endswith(("sses", "xes", "zes", "ches", "shes")):
        return word[:-2]
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith(("ss", "us", "is")):
            return word[: -len(suffix)] + keep
    return word


def _unit(word: str | None) -> str | None:
    if not word:
        return None
    word = word.lower()
    if word in _NOT_UNIT or word in STOP or word in _MONTH_WORDS:
        return None
    return _UNITS.get(word) or _UNITS.get(stem(word)) or stem(word)


def _date(m: re.Match[str]) -> str:
    g = m.groupdict()
    if g["iso"]:
        y, mo, d = g["iso"].split("-")
        return f"{list(_MONTHS)[int(mo) - 1] if 0 < int(mo) <= 12 else mo}-{int(d)}"
    month = (g["m1"] or g["m2"] or g["m3"] or "")[:3]
    day = g["d1"] or g["d2"] or g["d3"] or ""
    if g["wd"]:
        return g["wd"][:3]
    return f"{month}-{int(day) if day else ''}".rstrip("-") if month else f"-{int(day)}"


def same_date(a: str, b: str) -> bool:
    """Dates that may name one day ("-12" is the 12th of an unsaid month; "sep" a whole month)."""
    if a == b:
        return True
    ma, _, da = a.partition("-")
    mb, _, db = b.partition("-")
    return (not ma or not mb or ma == mb) and (not da or not db or da == db) and bool(da or db or ma == mb)


def parse(text: str) -> Claim:
    """The claim of one sentence."""
    values: dict[str, set[str]] = {}
    used: list[str] = []

    def add(kind: str, value: str, *span: str) -> None:
        values.setdefault(kind, set()).add(value)
        used.extend(span)

    rest = text
    for m in _CODE.finditer(rest):
        add("code", m.group(1).lower(), m.group(1).lower())
    rest = _CODE.sub(" ", rest)
    for m in _IDENT.finditer(rest.lower()):
        add("code", m.group(0), m.group(0))
    rest = re.sub(_IDENT.pattern, " ", rest, flags=re.I)
    for m in _TIME.finditer(rest):
        add("time", m.group(0), m.group(0))
    rest = _TIME.sub(" ", rest)
    low = rest.lower()
    for m in _DATE.finditer(low):
        add("date", _date(m), *m.group(0).split())
    low = _DATE.sub(" ", low)
    for m in _RELATIVE.finditer(low):
        add("when", m.group(0), *m.group(0).split())
    low = _RELATIVE.sub(" ", low)
    for m in _RANGE.finditer(low):  # "8 till 14": hours
        add("time", f"{int(m.group(1))}-{int(m.group(2))}", m.group(1), m.group(2))
    low = _RANGE.sub(" ", low)
    for m in _NUMWORD.finditer(low):
        n = "2" if m.group("n") == "twice" else _NUMWORDS[m.group("n")]
        unit = _unit(m.group("unit")) if m.group("n") != "twice" else None
        add(f"qty:{unit}" if unit else "num", n, m.group("n"))
    for m in _QTY.finditer(low):
        n = m.group("n").replace(",", "")
        unit = _unit(m.group("cur") or m.group("unit"))
        if unit:
            add(f"qty:{unit}", n, m.group("n"))
        elif n.count(".") >= 1 and not m.group("cur"):
            add("version", n, m.group("n"))
        else:
            add("num", n, m.group("n"))
    names = {n.lower() for n in _NAME.findall(text)} - {w for w in used}
    names = {
        n
        for n in names
        if len(n) > 1 and n not in STOP and n not in _FILLER and not re.fullmatch(rf"{_MONTH}|{_WEEKDAY}", n)
    }
    if names:
        values["name"] = set(names)
    value_words = {w for v in used for w in re.findall(r"[a-z0-9]+", v.lower())}
    value_words |= {w for n in names for w in n.split()}
    slot = {
        stem(w)
        for w in content_words(low)
        if w not in _FILLER
        and not any(c.isdigit() for c in w)
        and w not in value_words
        and w not in _MONTH_WORDS
        and _UNITS.get(w, _UNITS.get(stem(w))) in (None, "people")  # a measure ("euros") names no slot
    }
    denied: set[str] = set()
    for m in _DENY.finditer(text):
        phrase = next(g for g in m.groups() if g)
        denied |= {_value_of(phrase)}
    return Claim(
        frozenset(slot),
        {k: frozenset(v) for k, v in values.items()},
        frozenset(names),
        frozenset(d for d in denied if d),
        bool(_CHANGE.search(text.lower())),
        bool(_SHIFT.search(text.lower())),
        frozenset(content_words(text)),
    )


def _value_of(phrase: str) -> str:
    """A denied phrase as the value it names ("20,000" → "20000", "TU Munich" → "tu munich")."""
    phrase = phrase.strip().strip("`").lower()
    first, _, tail = phrase.partition(" ")
    if first in _NUMWORDS:
        phrase = f"{_NUMWORDS[first]} {tail}".strip()
    num = re.fullmatch(rf"[$€£]?({_NUMBER})(?:\s*\S+)?", phrase)
    if num:
        return num.group(1).replace(",", "")
    return phrase


def denies(claim: Claim, other: Claim) -> set[str]:
    """The values of ``other`` that ``claim`` takes back ("not 21" takes back "june 21")."""
    out = set()
    for d in claim.denied:
        if len(d.split()) > 4:
            continue
        for kind, vals in other.values.items():
            for v in vals:
                if kind == "date":
                    hit = same_date(v, d if "-" in d or not d.isdigit() else f"-{d}")
                else:
                    hit = v == d or v == d.split()[0]
                if hit:
                    out.add(v)
    return out


def conflicts(new: Claim, old: Claim) -> set[str]:
    """Value types where ``new`` gives a value ``old`` lacks, and either drops one of
    ``old``'s or is worded as a change (relative time words never conflict)."""
    out = set()
    for kind, old_vals in old.values.items():
        if kind == "when" or kind not in new.values:
            continue
        new_vals = new.values[kind]
        if kind == "date":
            fresh = [v for v in new_vals if not any(same_date(v, o) for o in old_vals)]
            dropped = [o for o in old_vals if not any(same_date(v, o) for v in new_vals)]
        elif kind == "name":
            fresh = [v for v in new_vals if not old.says(v)]
            dropped = [o for o in old_vals if not new.says(o)]
        else:
            fresh, dropped = list(new_vals - old_vals), list(old_vals - new_vals)
        if fresh and (dropped or new.change):
            out.add(kind)
    return out


def shared(new: Claim, old: Claim) -> set[tuple[str, str]]:
    """Values both claims give (a shared name, date or identifier anchors their subject)."""
    out = set()
    for kind, vals in new.values.items():
        if kind in ("when", "num") or kind not in old.values:
            continue
        for v in vals:
            if any(same_date(v, o) if kind == "date" else v == o for o in old.values[kind]):
                out.add((kind, v))
    return out
