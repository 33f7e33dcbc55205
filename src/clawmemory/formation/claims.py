"""What reconciliation compares: a sentence read as a *claim* — the slot it is about, the typed
values it gives that slot, and the values it denies.

- **values** are typed, so only like compares with like: a date with a date, a weekday with a
  weekday, a quantity with a quantity of the same unit ("82 kg" / "79 kg", "30 days" / "90
  days"), a rate with a rate per the same thing ("0.14 euros per word" / "0.15 per word"), a
  version with a version (also pinned: ``python:3.12``, ``shoebox==0.9``), a name with a name, a
  code identifier with one of the same shape (``analytics_raw`` / ``analytics_clean``, not
  ``europe-west4`` / ``max_open_conns``). Relative time words ("next week", "tomorrow") are kept
  apart: they name no fixed moment, so they never conflict with a date. A cron schedule gives its
  time and weekday.
- **slot** is what the sentence says something about: its content words without the values,
  time words, filler and units of measure, lightly stemmed ("guests" = "guest"); a counted noun
  ("150 guests") is part of the slot, a measure ("45 euros", "30 days") is not.
  Names both sentences mention are their shared *subject*.
- **denied** are values the sentence takes back: "not X", "no longer X", "instead of X",
  "rather than X", "we're off X", "X -> Y", "from X to Y", "~~X~~" — typed too: "not two times" takes back a
  count of times, never a date; a bare number ("not 21", "~~5~~") only a value of a type the
  sentence itself gives instead ("june 28 now, not 21"; "~~5~~ 4 nights").
- **actor**: who does what the sentence says, the user ("I fill it every Sunday") or someone
  named ("Tomasz will take the Sunday visits").
- **direction**: "goes up", "raised" / "dropped", "lower": the new number is above / below the old.
- **condition**: an "if" / "unless" / "in case" clause states nothing; its words are left out.
- **pairs**: adjacent slot words ("theory exam"), so that two qualifiers of one noun are two slots.
- **change**: worded as a change or a correction ("now", "moved", "correction", "turns out",
  …); **shift**: a time shift ("slips", "postponed", "pushed", …) that moves a dated thing;
  **negative**: a stance or rule worded negatively ("never", "not", "hate", "avoid").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from .classifier import DEFINE, FREQUENCIES, LABEL_VALUE, NO_LABEL, STAMP, STOP, content_words, unshout

MONTHS = _MONTHS = {
    m[:3]: m for m in "january february march april may june july august september october november december".split()
}
_MONTH_WORDS = frozenset([*_MONTHS.values(), *_MONTHS, "sept"])
_MONTH = rf"(?:{'|'.join(sorted(_MONTH_WORDS, key=len, reverse=True))})\b\.?"
# a weekday, also plural for a recurring one ("sundays"); only full names take the plural ("thus" is no day)
_WEEKDAY = r"(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:(?:day|sday|nesday|rsday|urday)s?)?\b"
_ORD = r"(?:st|nd|rd|th)?"
_DATE = re.compile(
    rf"\b(?P<m1>{_MONTH})\s+(?:the\s+)?(?P<d1>\d{{1,2}}){_ORD}(?![\w.,]\d)"
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
_CLOCK = re.compile(
    r"\b(?P<h>\d{1,2})(?:[:.](?P<min>[0-5]\d))?\s*(?P<pm>am|pm|o'?\s?clock)\b"
    r"|\b(?P<h2>\d{1,2})\s+in\s+(?:the\s+)?(?P<part>morning|afternoon|evening|night)\b"
    r"|(?<=\bat )(?P<h3>[01]?\d|2[0-3])\.(?P<min3>[0-5]\d)\b(?!\.\d)"  # "at 7.30": a clock time, no version
)
# how often: "every 3 wks", "every other week", "monthly" (as days between)
_FREQ = re.compile(
    r"\bevery\s+(?:(?P<n>\d+|other|second|third|two|three|four|five|six)\s+)?"
    r"(?P<unit>days?|nights?|weeks?|wks?|fortnights?|months?|quarters?|years?)\b"
    rf"|\b(?P<ly>{FREQUENCIES})\b"
)
_PERIOD = {"hour": 1 / 24, "dai": 1, "day": 1, "night": 1, "week": 7, "wk": 7, "fortnight": 14, "month": 30}
_PERIOD |= {"quarter": 91, "year": 365, "annual": 365, "biweek": 14, "bimonth": 61}
_DAY_RANGE = re.compile(rf"\b(\d{{1,2}})\s*[-–]\s*(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH})")
_NUMBERED = re.compile(r"(^|:\s)\d{1,2}[.)]\s+")
_VERB_AFTER = re.compile(r"\s+(?:its|their|his|her|our|my|your)\b")  # "305 takes its slot"
_SAME_TIME = re.compile(r"\b(?:the\s+)?same (?:time|hour)\b")
SAME = "same"
_HEAD = re.compile(r"\s+([a-z]{3,}s)\b")  # a plural noun after a counted modifier
_CODE = re.compile(r"`([^`]+)`")
_CRON = re.compile(
    r"(?:^|(?<=\s))(?P<min>\d{1,2}|\*)\s+(?P<hour>\d{1,2}|\*)\s+[\d*/,-]+\s+[\d*/,-]+\s+(?P<dow>[\d*/,-]+)(?=\s|$)"
)
_PIN = re.compile(r"(?<![\w.-])(?P<name>[a-z][\w.-]*?)(?:==|@|:)v?(?P<ver>\d[\w.+-]*)", re.I)
_NUMBER = r"\d+(?:[.,]\d+)*"
_PER = r"(?:\s*(?:/|\b(?:per|a|an|each)\b)\s*(?P<per>[a-z]+))?"
# a unit is a word, also of letters outside a-z ("150 µM", "5 °C" reads "c")
_QTY = re.compile(
    rf"(?P<cur>[$€£])?(?<![\w.])(?P<n>{_NUMBER})(?:\s*°?(?P<unit>%|(?!(?:per|a|an|each)\b)[^\W\d_]+))?{_PER}"
)
_RANGE = re.compile(r"(?<![\w.:])(\d{1,2})\s*(?:till|until|to|-|–)\s*(\d{1,2})(?![\w:]|\.\d)")
_GROUPED = re.compile(r"[1-9]\d{0,2}(?:\.\d{3})+")  # "13.900": thousands in the European way, not a version
_IDENT = re.compile(r"(?<![\w.-])(?=[\w-]*[a-z])(?=[\w-]*\d)[a-z][\w-]*(?![\w-])")  # b1, lh1234, europe-west4
_NUMWORDS = {
    w: str(i) for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve".split())
}
_NUMWORD = re.compile(rf"\b(?P<n>{'|'.join(_NUMWORDS)}|twice)\s+(?P<unit>(?!(?:per|a|an|each)\b)[a-z]+){_PER}")
_NAME = re.compile(r"(?<=[\w,;:)] )(?:[A-Z][\w&'-]*(?:\s+(?:&\s+)?[A-Z][\w&'-]*)*)|\b[A-Z]{2,}\b")
# Units of one dimension compare with each other ("30 days" / "3 months", "4 employees" / "5 people").
_DIMENSIONS = {
    "duration": "s sec secs second m min mins minute h hr hrs hour day week wk wks month year night",
    "money": "eur euro € $ usd dollar £ gbp pound cent ct",
    "mass": "g gram kg kilo lb pound mg",
    "distance": "km mile metre meter",
    "people": "people person employee staff guest member attendee participant adult kid child children user",
}
_UNITS = {u: d for d, words in _DIMENSIONS.items() for u in words.split()}
_NOT_UNIT = frozenset(
    "a an the and or but to of in on at for with from by is are was were be am it this that x till until per "
    "if so as than then more less now because since when where which who while after before each every into "
    "onto over under via about around instead altogether st nd rd th".split()
)
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME_WORD = re.compile(rf"{_MONTH}|{_WEEKDAY}")

_DENY = re.compile(
    r"\b(?:not|no longer|no more(?! than)|instead of|rather than|isn't|wasn't|aren't|(?:we're|we are|i'm|i am|is|are|now) off|"
    r"(?:[sS]cratch|[fF]orget|[iI]gnore) what [iI] said about)\s+"
    r"(?:the\s+|a\s+|on\s+|in\s+|at\s+)?"
    r"(?P<v>(?:[^;:!?]|(?<=\d):(?=\d)){1,30}?)(?=\s*(?:[,.;:!?](?!\d)|$|\s(?:but|and|anymore|any more|because|since|as|so|it|we|i)\b))"
    r"|(?P<a>(?:[^\s,;:(|]+\s+)?[^\s,;:(|]+)\s*(?:->|→|=>)"
    r"|\bfrom\s+(?P<f>\S+(?:\s\S+)?)\s+to\s+\S"
    r"|~~(?P<s>[^~]+)~~"
    # a substitution takes back what it replaces ("swapped the quartz for a compact laminate")
    r"|\b(?:swap(?:ped)?|replac(?:e|ed)|trad(?:e|ed)|exchang(?:e|ed))\s+(?:the\s+|our\s+|my\s+)?"
    r"(?P<w>(?!to\s)[^,;:.!?]{1,30}?)\s+(?:for|with)\s"  # "swapped to X with …" names the new one
    # a removal takes back what it removes ("drug B dropped", "we cancelled the Friday slot")
    r"|(?P<r>(?:[^\s,;:(]+\s+)?[^\s,;:(]+)\s+(?:dropped|removed|cancell?ed|scrapped)\b(?!\s+(?:to|by|from)\b)"
    r"|\b(?:dropped|removed|cancell?ed|scrapped)\s+(?:the\s+|our\s+|my\s+)?(?P<d>[^,;:.!?]{1,30}?)(?=\s*(?:[,.;:!?]|$))"
    # one under way, said to be for good ("we're dropping 302 entirely"; "dropping the kids at 8" is none)
    r"|\b(?:dropping|removing|cancell?ing|scrapping|cutting)\s+(?:the\s+|our\s+|my\s+)?(?P<g>[^,;:.!?]{1,30}?)"
    r"\s+(?:entirely|altogether|completely|for good)\b"
)
# What any match of _DENY holds: a literal of one of its alternatives. Keep it in step with _DENY:
# _DENY scans every position of the text with backtracking (~100–300 µs for 160 characters), this
# finds a literal in a few µs, so a text holding none is told apart cheaply.
_MAY_DENY = re.compile(
    r"not|no longer|no more|instead of|rather than|n't|off|said about|->|→|=>|from|~~"
    r"|swap|replac|trad|exchang|dropp|remov|cancel|scrapp|cutting"
)
CHANGE = re.compile(
    r"\b(?:now|anymore|any more|no longer|no more(?! than)|instead|chang(?:e|ed|es|ing)|switch(?:ed|es|ing)?|mov(?:e|ed|es|ing)|"
    r"push(?:ed|es)?|slips?|slipped|bump(?:ed|ing)?|upgrad(?:e|ed|ing)|downgrad(?:e|ed|ing)|updated?|actually|"
    r"from now on|correction|correct(?:ed|ing)?|mistake|wrong|misspoke|scratch|forget (?:it|that)|never ?mind|"
    r"on second thought|turns out|turned out|replac(?:e|ed|ing)|"
    r"swap(?:ped)?|cancel(?:led|ed)?|removed|scrapped|postpon(?:e|ed)|delay(?:ed)?|reschedul(?:e|ed)|new one|went up|goes up|"
    r"went down|goes down|raised|lowered|dropped|grew|increased|decreased|(?:is|are|'s|be) back (?:to|at|on|in))\b|->|→|~~"
)
_SHIFT = re.compile(
    r"\b(?:slips?|slipped|push(?:ed|es)? (?:back|out|to)|postpon(?:e|ed|es)|delay(?:ed|s)?|reschedul(?:e|ed|es)|"
    r"mov(?:e|ed|es) (?:to|up|back)|brought forward|bring forward|shift(?:ed|s)? (?:to|by)|new date)\b"
)
_MOVES = r"(?:go|goes|going|went|gone|is|are|was|were|moved?|moves|bump(?:ed|s)?|push(?:ed|es)?|now|price|rent|rate)"
_UP = re.compile(
    rf"\b(?:{_MOVES} up|up (?:from|by)|rais(?:e|ed|es|ing)|increas(?:e|ed|es|ing)|higher|grew|rose|risen)\b"
)
_DOWN = re.compile(
    rf"\b(?:{_MOVES} down|down (?:from|by|to)|lower(?:ed|s|ing)?|drop(?:ped|s)? to|decreas(?:e|ed|es|ing)|"
    r"reduc(?:e|ed|es|ing)|cut to|fell)\b"
)
_NEGATIVE = re.compile(
    r"\b(?:hate|hates|dislike|can't stand|cannot stand|no|not|never|don't|dont|avoid|without|mustn't|must not|"
    r"(?:is|are|was|were|'s) gone|withdr(?:aw|awn|awing|ew))\b"  # a state ended: "the proxy is gone"
)
# someone named does it (from now on), also standing in for someone ("Ines covers for him")
_ACTOR_NAME = (
    r"(?P<name>[A-Z][\w'-]+)(?:\s+(?:will|'ll|is going to|takes?|handles?|is doing|"
    r"(?:goes|steps|stands|fills|covers|subs)(?: in)? for)\b"
    # someone named holds a role ("Tariq Hussain, our deputy manager, is the contact for …")
    r"|(?:,[^,.;]{1,40},)?\s+(?:is|becomes|will be)\s+(?:now\s+)?(?:the|our|your)\s+(?:new\s+)?(?=[a-z]))"
)
# a hand-over names who does it from now on: the one it is handed to ("I'm handing infra to Rosa")
_HANDOVER = re.compile(
    r"\b(?:hand(?:s|ed|ing)?|pass(?:es|ed|ing)?)\s+(?:over\s+)?(?:[\w'-]+\s+){0,3}?(?:over\s+)?to\s+(?P<to>[A-Z][\w'-]+)"
)
_ACTOR_SELF = (
    r"\b(?P<self>i|we)\s+(?!think|guess|hope|am|was|were|had|have|know|said|mean|checked)[a-z]+\b"
    r"|\b(?:i'm|i am|we're|we are)\s+(?:now\s+)?the\s+(?:[a-z]+\s+)?[a-z]+\b"  # "I'm the billing contact"
)
# a role and who holds it, side by side ("lights Sanjay, sound Bea"; "lights now Dev Gill")
_ROLE = re.compile(r"\b([a-z][a-z-]+)(?::|\s+(?:now|is now|is|=|->))?\s+([A-Z][\w'-]+(?:\s+[A-Z][\w'-]+)?)")
# whose the thing counted is: the user's ("I have 5 hives now", "we're down to 4") or someone else's ("my neighbour
# Brian has 10 hives", "she has 3 cats")
_HOLDER_SELF = re.compile(
    r"\b(?:i|we)\s+(?:now\s+)?(?:have|own|keep|run|'ve got|have got)\b|\b(?:i'm|we're|i am|we are) (?:down|up) to\b"
)
_HOLDER_OTHER = re.compile(
    r"\b(?:my|our)\s+[a-z]+(?:\s+[a-z]+)?\s+(?:has|owns|keeps|runs)\b|\b(?:he|she|they)\s+(?:has|have|owns|keeps)\b"
)
_ADDS = re.compile(r"\b(?:as well|too)\b(?=\s*(?:[,.;:!?]|$))")
_CONDITION = re.compile(r"\b(?:if|unless|in case)\b[^,.;:!?]*", re.I)
_ARITHMETIC = re.compile(r"\d[^=\n]*(?:[×*+]|\sx\s)\s*[$€£]?\d[^=\n]*=\s*[$€£]?\d")  # "x" typed as times
# What any typed value of _typed holds (on the lower-cased text): a digit, a backtick, or a month,
# weekday or number word. Keep it in step with _typed's patterns.
_MAY_HOLD_VALUE = re.compile(
    rf"[\d`]|\b(?:{_MONTH}|{_WEEKDAY}|(?:{'|'.join(_NUMWORDS)}|twice|{FREQUENCIES})\b|\bevery\s)"
)
# a reference number ("ticket #48213", "PR #912"): it names one thing, as a name does
REF = re.compile(r"(?<![\w&#])#\d+\b")
# a record led by its own key (`record`): a line of a pasted series (a document's header, a log entry, a table or
# CSV row, a schedule line) names one member of the series, as a reference number does
_KEY_ID = r"[A-Za-z][\w/-]*\d[\w/-]*|\d[\w/-]*[A-Za-z][\w/-]*"
_KEY_NUM = r"\d{1,3}(?:,\d{3})+(?!\d)|\d+(?:\.\d+)?"
_KEY_TIME = r"\d{1,2}:\d{2}(?:\s*[-–]\s*\d{1,2}:\d{2})?"
_KEY_DATE = rf"(?:{_WEEKDAY}\.?,?\s+)?\d{{1,2}}{_ORD}\s+{_MONTH}|\d{{1,2}}/\d{{1,2}}(?:/\d{{2,4}})?"
_BULLET = r"^[\s*•○●◦·>-]*"
_RECORD = (
    # a marker in capitals ("INVOICE", "RUN OF SHOW", "WEEK") and its key, then the record's body
    re.compile(rf"{_BULLET}(?P<mark>(?:[A-Z][A-Z&'/-]*\s+){{1,3}})(?P<key>{_KEY_ID}|{_KEY_NUM})(?=[\s|,:;(]+\S)"),
    # one capitalised word and its key, set off from the body ("Table 7: Sam's uni friends")
    re.compile(rf"{_BULLET}(?P<mark>[A-Z][a-z]+\s+)(?P<key>{_KEY_ID}|{_KEY_NUM})\s*[|,:;–—]\s*\w"),
    # no marker: a line led by a clock time or a date ("20:30 SECTIONAL …", "18 Sep h v Rotherham …", "Thu 12 Feb /
    # physio …"), or by an identifier set off by punctuation ("TEA-022,Lapsang …", "S-0412 (HeLa, p14) …")
    re.compile(rf"{_BULLET}(?P<mark>)(?P<key>{_KEY_TIME}|{_KEY_DATE})(?=[\s|,:;/(–—-]+\S)", re.I),
    re.compile(rf"{_BULLET}(?P<mark>)(?P<key>{_KEY_ID})(?=\s*[|,:;(]\s*\S)"),
)
_DIGIT = re.compile(r"\d")
# a weekday written beside its date is that date ("Sun 19 April", "Tuesday, 3 March"), no recurring weekday
_WEEKDAY_OF_DATE = re.compile(
    rf"\b{_WEEKDAY}\.?,?\s+(?=(?:the\s+)?\d{{1,2}}(?:{_ORD}\s+(?:of\s+)?{_MONTH}|st|nd|rd|th)|{_MONTH}\s+\d)", re.I
)
# an increment, no total ("add 2 seats", "2 extra seats", "the 2 seats have been added"): it replaces no count
_ADDED_BEFORE = re.compile(r"\b(?:add|adds|added|adding|another|extra|additional)\s+(?:[a-z]+\s+)?$")
_ADDED_AFTER = re.compile(r"\S+\s*(?:more|extra|additional)\b|\S+\s+(?:[a-z]+\s+){1,2}(?:have|has)\s+been\s+added\b")
# a hypothetical ("9 seats would be £405"): a value worked out, not one that holds
_HYPOTHETICAL = re.compile(r"\b(?:would|could|might)\s+(?:be|cost|come to)\b")
# a change named as an event ("since the Group plan move", "after the switch"): when, not a change said now
_EVENT = re.compile(
    r"\b(?:since|after|before|until|during)\s+(?:the|our|my|that|this)\s+(?:[\w-]+\s+){0,3}?"
    r"(?:move|switch|change|update|upgrade|migration|swap)\b"
)
# the particle of a phrasal verb ("signed off", "picked up") is part of the verb, no slot word
_PARTICLE = re.compile(r"\b[a-z]+(?:ed|ing)\s+(off|up|out|down|over|away)\b")
_FILLER = frozenset(
    "new old thing things stuff time week day today also really sure fyi update news quick big small bit lot "
    "want wants need needs think says said say know knows like make made take took get gets put keep still "
    "yet already just only maybe around about ok okay yeah yep good great fine well till until per anymore instead "
    "actually next last utc gmt cet cest bst est pst because though although both ugh lol haha hmm "
    "before after back".split()  # when or whither, no thing: "weekdays as before", "kev wants his fri back"
)


@dataclass(frozen=True)
class Claim:
    slot: frozenset[str]
    values: dict[str, frozenset[str]]
    names: frozenset[str]
    denied: frozenset[tuple[str, str]]  # (kind, value); kind "num" for a bare number, "phrase" for words
    change: bool
    shift: bool
    words: frozenset[str] = frozenset()  # every content word, lower-cased
    capitals: frozenset[str] = frozenset()  # stems of capitalised words, also at a sentence start
    actor: str | None = None  # "self" (I / we) or a name
    direction: int = 0  # +1 up, -1 down
    negative: bool = False
    pairs: frozenset[tuple[str, str]] = frozenset()  # (modifier, head) of adjacent slot words: "theory exam"
    derived: bool = False  # arithmetic ("2 sites × 4 plots = 8 plots"): values restated to compute, not stated
    adds: bool = False  # says it adds to what holds ("as well", "too"): a name it gives joins the others
    roles: frozenset[tuple[str, str]] = frozenset()  # (slot word, name): "lights Sanjay" → ("light", "sanjay")
    labelled: tuple[str, str] | None = None  # (label, value): "manager = sister hallam" → ("manager", "sister hallam")
    holder: str | None = None  # whose what it counts is: "self" ("I have 5 hives") or "other" ("Brian has 10")

    def proper(self) -> set[str]:
        """Stems of its capitalised words that are no stop, filler or time word ("Karim", "Covão")."""
        return {
            c
            for c in self.capitals
            if c not in STOP and c not in _FILLER and c not in _NUMWORDS and not _TIME_WORD.fullmatch(c)
        }

    def qualifies_apart(self, other: Claim, word: str) -> bool:
        """Both qualify ``word`` with another slot word ("practical exam" / "theory exam")."""
        mine = {a for a, head in self.pairs if head == word}
        theirs = {a for a, head in other.pairs if head == word}
        return bool(mine and theirs and not mine & theirs)

    def says(self, name: str) -> bool:
        """The name is in the sentence, as a name or not ("Kafka retention …" starts a sentence)."""
        return all(w in self.words for w in name.split() if w != "&")

    def asserts(self, phrase: str) -> bool:
        """It says the phrase's content words and does not take the phrase back itself."""
        words = content_words(phrase)
        return bool(words) and words <= self.words and ("phrase", phrase) not in self.denied

    def subject_words(self) -> set[str]:
        """The words of its names, as slot words."""
        return {stem(w) for n in self.names for w in n.split() if w != "&"}

    def shared_subject(self, other: Claim) -> set[str]:
        """Name words the two share: a name of one said capitalised by the other ("Miso" starts one
        sentence and is named in another), never a plain word ("words" is not the product "Word")."""
        mine, theirs = self.subject_words(), other.subject_words()
        return (mine & (theirs | other.capitals)) | (theirs & self.capitals)

    def all_values(self) -> set[str]:
        return {v for vs in self.values.values() for v in vs}


def stem(word: str) -> str:
    """A light stem for matching slot words ("guests" = "guest", "moved" = "move", "using" = "use",
    "sister's" = "sister")."""
    word = word.removesuffix("'s")
    if word.endswith(("sses", "xes", "zes", "ches", "shes")):
        return word[:-2]
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("s", "")):
        if word.endswith(suffix) and not word.endswith(("ss", "us", "is")):
            base = word[: -len(suffix)] + keep
            if len(base) >= 3:
                return base
            if suffix in ("ing", "ed") and re.fullmatch(r"[aeiou][^aeiou]", base):  # "using", "used": "use"
                return base + "e"
    return word


def _unit(word: str | None) -> str | None:
    if not word:
        return None
    word = word.lower()
    if word in _NOT_UNIT or word in STOP or word in _MONTH_WORDS or word.endswith("ly"):  # "302 entirely"
        return None
    return _UNITS.get(word) or _UNITS.get(stem(word)) or stem(word)


def _date(m: re.Match[str]) -> str:
    g = m.groupdict()
    if g["iso"]:
        y, mo, d = g["iso"].split("-")
        return f"{list(_MONTHS)[int(mo) - 1] if 0 < int(mo) <= 12 else mo}-{int(d)}"
    month = (g["m1"] or g["m2"] or g["m3"] or "")[:3]
    day = g["d1"] or g["d2"] or g["d3"] or ""
    return f"{month}-{int(day) if day else ''}".rstrip("-") if month else f"-{int(day)}"


@lru_cache(maxsize=4096)  # read for each neighbour of each candidate, and by the recall order
def record(text: str) -> tuple[str, str, str] | None:
    """(marker, shape, key) of a line led by its own key, then its body: "INVOICE INV-21877  Madison …" →
    ("invoice", "id", "inv-21877"), "WEEK 6 call sheet" → ("week", "num", "6"), "20:30 SECTIONAL …" → ("", "time",
    "20:30"); None for any other sentence (a label's value, "Goal time 3:29", is no key: its marker is no capitals)."""
    line = STAMP.sub("", text).lstrip()
    for pattern in _RECORD:
        if m := pattern.match(line):
            key = m.group("key").lower()
            shape = (
                "time"
                if re.fullmatch(_KEY_TIME, key)
                else "date"
                if re.fullmatch(_KEY_DATE, key)
                else "num"
                if re.fullmatch(_KEY_NUM, key)
                else "id"
            )
            return " ".join(m.group("mark").lower().split()), shape, key
    return None


def siblings(a: str, b: str) -> bool:
    """Two records of one series: each led by its own key, of one marker and shape, the keys differ (the next
    invoice's header, the next log entry, another product's row). One is no revision of the other."""
    ra, rb = record(a), record(b)
    return ra is not None and rb is not None and ra[:2] == rb[:2] and ra[2] != rb[2]


def same_date(a: str, b: str) -> bool:
    """Dates that may name one day ("-12" is the 12th of an unsaid month; "sep" a whole month);
    weekdays are values of their own kind, never dates."""
    if a == b:
        return True
    ma, _, da = a.partition("-")
    mb, _, db = b.partition("-")
    return (not ma or not mb or ma == mb) and (not da or not db or da == db) and bool(da or db or ma == mb)


def _typed(text: str) -> tuple[dict[str, set[str]], list[str], str]:
    """The typed values of ``text``, the words they were read from, and the lower-cased rest."""
    values: dict[str, set[str]] = {}
    used: list[str] = []

    def add(kind: str, value: str, *span: str) -> None:
        values.setdefault(kind, set()).add(value)
        used.extend(span)

    rest = text
    for m in _CODE.finditer(rest):
        add("code", m.group(1).lower(), m.group(1).lower())
    rest = _CODE.sub(" ", rest)
    for m in _CRON.finditer(rest):  # "30 2 * * 0": 02:30 on Sundays
        if m.group("min").isdigit() and m.group("hour").isdigit():
            add("time", f"{int(m.group('hour')):02d}:{int(m.group('min')):02d}")
        if m.group("dow").isdigit() and int(m.group("dow")) <= 7:
            add("weekday", _WEEKDAYS[(int(m.group("dow")) - 1) % 7])
    rest = _CRON.sub(" ", rest)
    for m in _PIN.finditer(rest):  # python:3.12-slim, shoebox==0.9.0: the name is the slot
        add("version", re.match(r"\d+(?:\.\d+)*", m.group("ver")).group(0), m.group("ver").lower())  # type: ignore[union-attr]
    rest = _PIN.sub(lambda m: f" {m.group('name')} ", rest)
    for m in _IDENT.finditer(rest.lower()):
        add("code", m.group(0), m.group(0))
    rest = re.sub(_IDENT.pattern, " ", rest, flags=re.I)
    for m in _CLOCK.finditer(rest.lower()):  # "2pm", "6 in the evening": 14:00, 18:00
        if m.group("h3"):
            add("time", f"{int(m.group('h3')):02d}:{m.group('min3')}", m.group(0))
            continue
        hour = int(m.group("h") or m.group("h2"))
        hour = hour if (m.group("pm") or "").endswith("clock") else hour % 12  # "7 o'clock" says no half of the day
        hour += 12 * bool(m.group("pm") == "pm" or m.group("part") in ("afternoon", "evening", "night"))
        add("time", f"{hour:02d}:{int(m.group('min') or 0):02d}", *m.group(0).lower().split())
    rest = re.sub(_CLOCK.pattern, " ", rest, flags=re.I)
    for m in _TIME.finditer(rest):
        add("time", m.group(0), m.group(0))
    if _SAME_TIME.search(rest.lower()):  # "same time": a time, the one said before (no value to replace)
        add("time", SAME, "same", "time")
    rest = _TIME.sub(" ", rest)
    low = rest.lower()
    for m in _DAY_RANGE.finditer(low):  # "16-20 feb": both ends are days of the month
        for day in (m.group(1), m.group(2)):
            add("date", f"{m.group(3)[:3]}-{int(day)}", *m.group(0).split())
    low = _DAY_RANGE.sub(" ", low)
    for m in _DATE.finditer(low):
        if m.group("wd"):
            add("weekday", m.group("wd")[:3], m.group(0))
        else:  # "from April": when what it says starts (see parse), else a date
            since = m.group(0).startswith(("from ", "since ")) or re.search(r"\b(?:from|since)\s+$", low[: m.start()])
            add("since" if since else "date", _date(m), *m.group(0).split())
    low = _DATE.sub(" ", low)
    for m in _FREQ.finditer(low):  # "nightly" also names the thing ("the nightly export"): a slot word too
        add("freq", _frequency(m), *([] if m.group("ly") else m.group(0).split()))
    low = _FREQ.sub(lambda m: m.group(0) if m.group("ly") else " ", low)
    for m in _RELATIVE.finditer(low):
        add("when", m.group(0), *m.group(0).split())
    low = _RELATIVE.sub(" ", low)
    for m in _RANGE.finditer(low):  # "8 till 14": hours
        add("time", f"{int(m.group(1))}-{int(m.group(2))}", m.group(1), m.group(2))
    low = _RANGE.sub(" ", low)
    for m in _NUMWORD.finditer(low):
        n = "2" if m.group("n") == "twice" else _NUMWORDS[m.group("n")]
        unit = _unit(m.group("unit")) if m.group("n") != "twice" else None
        if m.group("n") == "one" and unit not in _DIMENSIONS:
            continue  # a pronoun ("the Vienna one only"), unless one of a measure ("one week")
        add(_quantity(unit, m.group("per")) or "num", n, m.group("n"))
    for m in _QTY.finditer(low):
        if _ADDED_BEFORE.search(low[max(0, m.start() - 30) : m.start()]) or _ADDED_AFTER.match(low, m.start()):
            continue
        n = m.group("n").replace(",", "")
        unit = m.group("cur") or m.group("unit")
        head = _HEAD.match(low, m.end()) if m.group("unit") and not m.group("per") else None
        plural = bool(unit) and unit.endswith("s") and stem(unit or "") != unit  # "10 seats makes": seats count
        if head and _unit(head.group(1)) and not _UNITS.get(unit) and not _UNITS.get(stem(unit or "")) and not plural:
            unit = head.group(1)  # "24 app icons": the head noun counts, not its modifier
        if unit == m.group("unit") and unit and not _UNITS.get(stem(unit)) and _VERB_AFTER.match(low, m.end()):
            unit = None  # a verb, no unit: "305 takes its slot"
        kind = _quantity(_unit(unit), m.group("per"))
        if kind:
            add(kind, n, m.group("n"))
        elif n.count(".") >= 1 and not m.group("cur") and not _GROUPED.fullmatch(n):
            add("version", n, m.group("n"))
        else:
            add("num", n, m.group("n"))
    return values, used, low


def _frequency(m: re.Match[str]) -> str:
    """Days between two times ("every 3 wks" → "21", "monthly" → "30")."""
    if m.group("ly"):
        period = _PERIOD.get(m.group("ly").removesuffix("ly").removesuffix("ily"), 0)
        return f"{period:g}"
    n = m.group("n") or "1"
    count = {"other": 2, "second": 2, "third": 3}.get(n) or int(_NUMWORDS.get(n, n))
    unit = m.group("unit").rstrip("s")
    return f"{count * _PERIOD.get(unit, 0):g}"


def valued(text: str) -> bool:
    """Whether the sentence gives a typed value other than a relative time word: without one on
    both sides, :func:`differences` finds no attribute changed (names are anchors, not values).
    A sentence without a digit, a backtick or a month, weekday or number word has none (7 µs)."""
    return bool(_MAY_HOLD_VALUE.search(text.lower())) and any(kind != "when" for kind in _typed(text)[0])


def changes(text: str) -> bool:
    """Whether the sentence is worded as a change or a correction ("now", "switched", "scratch
    that", "dropped"): a cheap test, like :func:`valued`."""
    return bool(CHANGE.search(_EVENT.sub(" ", text.lower())))


def hands_over(text: str) -> bool:
    """Whether the sentence names someone who does a thing from now on ("Mei will do the counts",
    "handing infra to Rosa"): a cheap test, like :func:`valued`."""
    return bool(_HANDOVER.search(text) or re.search(_ACTOR_NAME, text))


# what became of someone or something: it left, ended or passed on ("Kemi's gone full-time at the BBC", "Brother Ash
# retires", "the order is cancelled", "we've pulled out"; not one who takes something over: that is a hand-over)
_EXIT = re.compile(
    r"\b(?:gone|(?:has|have|had|'s) left|leaving|quit|retir(?:e|es|ed|ing)|resign(?:s|ed|ing)?|"
    r"(?:pulled|pulling|dropped|dropping) out|(?:stepped|stepping|steps) (?:down|back)|"
    r"cancell?ed|closed|closing|shut down)\b"
)
_LEAD = re.compile(r"[^\W\d_][\w'’-]*")


def exits(text: str) -> bool:
    """Whether the sentence says someone or something left, ended or was taken over (a cheap test)."""
    return bool(_EXIT.search(text.lower()))


def lead(text: str) -> str | None:
    """The stem of the sentence's first word when it is capitalised, its possessive dropped ("Kemi's gone …" →
    "kemi"; "Scarborough: we've pulled out" → "scarborough"): what it is about, when that is a name."""
    m = _LEAD.match(STAMP.sub("", text).lstrip())
    if m is None or not m.group()[0].isupper():
        return None
    return stem(re.sub(r"['’]s$", "", m.group().lower()))


def resumes(text: str) -> bool:
    """Whether the sentence says something holds again ("I will use it again"): a cheap test."""
    return " again" in text.lower()


def takes_back(text: str) -> bool:
    """Whether the sentence takes a value back ("tabs not spaces", "25 -> 16"): what a later
    sentence may assert again (a cheap test, like :func:`valued`)."""
    return bool(_MAY_DENY.search(text)) and bool(_DENY.search(text))


def _quantity(unit: str | None, per: str | None) -> str | None:
    """The kind of a quantity: ``qty:unit`` or a rate ``qty:unit/per`` ("0.15 per word": ``qty:/word``)."""
    per_unit = _unit(per)
    if per_unit:
        return f"qty:{unit or ''}/{per_unit}"
    return f"qty:{unit}" if unit else None


def like(a: str, b: str) -> bool:
    """Value kinds that compare: equal, or quantities of one unit or one rate ("qty:money/word"
    and "qty:/word"; "qty:time" and "qty:time/day")."""
    if a == b:
        return True
    if not (a.startswith("qty:") and b.startswith("qty:")):
        return False
    (na, _, pa), (nb, _, pb) = a[4:].partition("/"), b[4:].partition("/")
    return (
        (not na or not nb or na == nb) and (not pa or not pb or pa == pb) and bool(na and na == nb or pa and pa == pb)
    )


def parse(text: str) -> Claim:
    """The claim of one sentence; a condition ("if that works for you", "if 12 Mar slips") states
    nothing, so its words are left out. A C constant reads as the setting it is ("#define PUMP_PIN 25" as
    "PUMP_PIN = 25": its name is its label, not "define" and the words of its name as slots)."""
    text = STAMP.sub("", unshout(DEFINE.sub(r"\g<name> = ", text)))
    digits = bool(_DIGIT.search(text))
    text = _WEEKDAY_OF_DATE.sub("", text) if digits else text
    derived = bool(digits and (_ARITHMETIC.search(text) or _HYPOTHETICAL.search(text.lower())))
    text = _CONDITION.sub(" ", text)
    text = _NUMBERED.sub(r"\1", text)  # "half term: 2. 16-20 feb": the 2 numbers the answer, no value
    values, used, low = _typed(text)
    if "since" in values and not set(values) - {"since", "when", "num"}:
        values.setdefault("date", set()).update(values.pop("since"))  # "starts from April": the date itself
    names = {n for found in _NAME.findall(text) for n in _name_runs(found)} - {w for w in used}
    names = {
        n
        for n in names
        if len(n) > 1 and n not in STOP and n not in _FILLER and not re.fullmatch(rf"{_MONTH}|{_WEEKDAY}", n)
    }
    if names:
        values["name"] = set(names)
    value_words = {w for v in used for w in re.findall(r"[a-z0-9]+", v.lower())}
    value_words |= {w for n in names for w in n.split()}

    def slotted(w: str) -> bool:
        return (
            w not in _FILLER
            and not CHANGE.fullmatch(w)  # "moved", "pushed": how it changed, not what
            and w not in STOP
            and stem(w) not in STOP
            and not w.endswith("n't")
            and not any(c.isdigit() for c in w)
            and w not in value_words
            and w not in _MONTH_WORDS
            and _UNITS.get(w, _UNITS.get(stem(w))) in (None, "people")  # a measure ("euros") names no slot
        )

    words = content_words(low) - set(_PARTICLE.findall(low) if "ed " in low or "ing " in low else ())
    words |= {part for w in words if "_" in w for part in w.split("_") if len(part) > 1}  # "backup_recorder"
    slot = {stem(w) for w in words if slotted(w)}
    tokens = re.findall(r"[a-z][a-z'-]*|\S", low)
    pairs = {
        (stem(a), stem(b))
        for a, b in zip(tokens, tokens[1:], strict=False)
        if a not in STOP and b not in STOP and len(a) > 1 and len(b) > 1 and slotted(a) and slotted(b)
    }
    denied: set[tuple[str, str]] = set()
    for m in _DENY.finditer(text):
        denied |= _denied(next(g for g in m.groups() if g))
    lowered = _EVENT.sub(" ", text.lower())
    return Claim(
        frozenset(slot),
        {k: frozenset(v) for k, v in values.items()},
        frozenset(names),
        frozenset(denied),
        bool(CHANGE.search(lowered)),
        bool(_SHIFT.search(lowered)),
        frozenset(content_words(text)),
        frozenset(stem(w.lower()) for w in re.findall(r"\b[A-Z][\w'-]*", text)),
        _actor(text),
        1 if _UP.search(lowered) else -1 if _DOWN.search(lowered) else 0,
        bool(_NEGATIVE.search(lowered)),
        frozenset(pairs),
        derived,
        bool(_ADDS.search(lowered)),
        frozenset(
            (stem(w), n.lower())
            for w, n in (_ROLE.findall(text) if names else ())
            if w not in STOP and w not in _FILLER and stem(w) in slot and n.lower() not in STOP
        ),
        _labelled(lowered),
        "other" if _HOLDER_OTHER.search(lowered) else "self" if _HOLDER_SELF.search(lowered) else None,
    )


def _labelled(low: str) -> tuple[str, str] | None:
    """``(label, value)`` of a sentence that gives a label its value (one value at a time, like a
    setting), the label's last word that names something ("new manager there = charge nurse ade bello" → ("manager", "charge nurse ade bello"))."""
    m = LABEL_VALUE.match(low) if ("=" in low or ":" in low) else None
    if m is None:
        return None
    head = [w for w in m.group("label").split() if w not in STOP and w not in _FILLER]
    return (stem(head[-1]), m.group("value")) if head and head[0] not in NO_LABEL else None


def labels(text: str) -> bool:
    """Whether the sentence gives a label a value (a cheap test, like :func:`valued`)."""
    return _labelled(text.lower()) is not None


def _name_runs(found: str) -> list[str]:
    """A capitalised run split at stop and time words ("June I" is no name; "Reinier de Graaf" is)."""
    out: list[str] = []
    run: list[str] = []
    for w in found.lower().split():
        if w in STOP or _TIME_WORD.fullmatch(w):
            out.append(" ".join(run))
            run = []
        else:
            run.append(w)
    return [n for n in [*out, " ".join(run)] if n]


def _actor(text: str) -> str | None:
    """Who does what the sentence says: the one a task is handed to, else "self" (I, we) or a
    name, whichever comes first."""
    handed = _HANDOVER.search(text)
    if handed and handed.group("to").lower() not in STOP:
        return handed.group("to").lower()
    named = [
        (m.start(), m.group("name").lower())
        for m in re.finditer(_ACTOR_NAME, text)
        if m.group("name").lower() not in STOP and m.group("name").lower() not in _FILLER
    ]
    own = [(m.start(), "self") for m in re.finditer(_ACTOR_SELF, text.lower())]
    return min(named + own)[1] if named or own else None


def _denied(phrase: str) -> set[tuple[str, str]]:
    """A taken-back phrase as typed values: ``("qty:time", "2")`` for "two times", ``("num", "21")``
    for a bare number (its type is the type the sentence gives instead), ``("phrase", …)`` for words."""
    last = phrase.split()[-1] if phrase.split() else phrase
    typed = _typed(last)[0] or _typed(phrase)[0]  # "`pool` 25 ->": 25; "4 replicas ->": 4 replicas
    out = {(kind, v) for kind, vals in typed.items() if kind != "when" for v in vals}
    if not out or not any(k == "num" or k.startswith(("qty", "date", "time", "weekday")) for k, _ in out):
        value = _value_of(phrase)
        if value:
            out.add(("phrase", value))
    return out


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


def aimed(claim: Claim) -> set[str]:
    """The value kinds of what ``claim`` takes back, and "num" (a bare number beside it is one of
    them: "9 not 8:30"); a bare number taken back is of every kind the claim gives ("the 20th
    instead of the 24th": a date); a name taken back is a name ("not Nationwide any more")."""
    out: set[str] = set()
    for kind, value in claim.denied:
        if kind == "phrase" and any(value == n or value.split()[0] == n for n in claim.values.get("name", ())):
            out.add("name")  # "into the Monzo account, not Nationwide any more": the name it replaces
        elif kind == "num":
            out |= set(claim.values) - {"when", "name"} | {"num"}
        elif kind != "phrase":
            out |= {k for k in claim.values if like(kind, k)} | {kind, "num"}
    return out


def denies(claim: Claim, other: Claim) -> set[str]:
    """The values of ``other`` that ``claim`` takes back, like with like ("not 21" takes back
    "june 21" when the claim gives a date; "not two times" never takes back "2 June")."""
    out = set()
    for kind, d in claim.denied:
        if kind == "phrase" and len(d.split()) > 4:
            continue
        for other_kind, vals in other.values.items():
            for v in vals:
                if kind == "phrase":
                    hit = other_kind in ("name", "code", "version") and (v == d or v == d.split()[0])
                elif kind == "num":  # a bare number: of the type the claim gives instead
                    if other_kind == "date":
                        hit = "date" in claim.values and same_date(v, f"-{d}")
                    else:
                        hit = v == d and (other_kind == "num" or any(like(k, other_kind) for k in claim.values))
                elif kind == "date":
                    hit = other_kind == "date" and same_date(v, d)
                else:
                    hit = like(kind, other_kind) and v == d
                if hit:
                    out.add(v)
    return out


def _shape(code: str) -> str:
    """An identifier's shape: letters as "a", digits as "9" ("europe-west4" → "a-a9")."""
    return re.sub(r"[a-z]+", "a", re.sub(r"\d+", "9", code.lower()))


def _number(value: str) -> float | None:
    try:
        return float(value.replace(",", ""))
    except ValueError:
        return None


def resolve(claim: Claim, about: Claim) -> Claim:
    """``claim`` with each bare number that is within a factor of 2 of a quantity of exactly one
    kind in ``about`` read as that quantity ("Okay I make 219" after "189 euro": 219 euro), and a
    bare hour after one clock time read as a time ("make them 7 instead" after "at 8pm": 19:00)."""
    nums = claim.values.get("num", frozenset())
    values = {k: set(v) for k, v in claim.values.items()}
    clock = [t for t in about.values.get("time", ()) if re.fullmatch(r"\d\d:\d\d", t)]
    for v in nums:
        n = _number(v)
        if len(clock) == 1 and v.isdigit() and 1 <= int(v) <= 12 and "time" not in values:
            # "make them 7 instead" after "at 8pm": an hour of the same half of the day
            values["num"].discard(v)
            values["time"] = {f"{int(v) % 12 + 12 * (int(clock[0][:2]) >= 12):02d}:00"}
            continue
        kinds = {
            k
            for k, vals in about.values.items()
            if k.startswith("qty:") and n and any((o := _number(x)) and 0.5 <= n / o <= 2 for x in vals)
        }
        if len(kinds) == 1:
            values["num"].discard(v)
            values.setdefault(kinds.pop(), set()).add(v)
    if values.get("num") == set(nums):
        return claim
    return replace(claim, values={k: frozenset(v) for k, v in values.items() if v})


def antecedent(text: str, earlier: Sequence[str]) -> str:
    """The sentence of ``earlier`` (oldest first) that a terse value ``text`` corrects or restates:
    the latest one, not a question, giving another value of a kind it gives, not a bare number or
    a name, and about the same slot words and names where it has any ("actually 3 wks." →
    "keep it as replica for 2 weeks"; "219" → "189 euro"). "" for a sentence with more than two
    slot words of its own, or when none fits."""
    claim = parse(text)
    if len(claim.slot) > 2:
        return ""
    for sentence in reversed(earlier):
        if sentence.rstrip().endswith("?"):
            continue
        about = parse(sentence)
        if claim.slot and not claim.slot & about.slot or not all(about.says(n) for n in claim.names):
            continue  # it says what it is about, and that is another thing
        changed = differences(resolve(claim, about), about, strict=True)
        if any(fresh for kind, (fresh, _) in changed.items() if kind not in ("num", "name")):
            return sentence
    return ""


def differences(new: Claim, old: Claim, *, strict: bool = False) -> dict[str, tuple[list[str], list[str]]]:
    """Per value kind of ``old`` that ``new`` gives too: ``(fresh, dropped)``, the values of ``new``
    that ``old`` does not say and those of ``old`` that ``new`` does not (dates that may name one
    day, a name either says, identifiers of another shape and relative time words never differ; a
    number said to go up must be above the old one, one said to go down below it). ``strict``: a
    rate never differs from an amount ("four days a week" / "5 days of work")."""
    out = {}
    for kind, old_vals in old.values.items():
        if kind in ("when", "since"):  # "from April it's £995": when a value starts is no value of the slot
            continue
        kinds = [k for k in new.values if like(k, kind) and (not strict or ("/" in k) == ("/" in kind))]
        if not kinds:
            continue
        new_vals = frozenset().union(*(new.values[k] for k in kinds)) - {SAME}  # "same time" says none anew
        if kind == "date":
            fresh = [v for v in new_vals if not any(same_date(v, o) for o in old_vals)]
            dropped = [o for o in old_vals if not any(same_date(v, o) for v in new_vals)]
        elif kind == "name":
            fresh = [v for v in new_vals if not old.says(v)]
            dropped = [o for o in old_vals if not new.says(o)]
        elif kind == "code":  # identifiers of one shape ("analytics_raw" / "analytics_clean")
            fresh = [v for v in new_vals - old_vals if _shape(v) in {_shape(o) for o in old_vals}]
            dropped = [o for o in old_vals - new_vals if _shape(o) in {_shape(v) for v in new_vals}]
        else:
            fresh, dropped = list(new_vals - old_vals), list(old_vals - new_vals)
        if new.direction and (kind in ("num", "version") or kind.startswith("qty:")):
            olds = [n for n in map(_number, old_vals) if n is not None]
            fresh = [v for v in fresh if (n := _number(v)) is None or any((n - o) * new.direction > 0 for o in olds)]
        out[kind] = (fresh, dropped)
    return out


def conflicts(new: Claim, old: Claim) -> set[str]:
    """Value kinds where ``new`` gives a value ``old`` lacks, and either drops one of ``old``'s
    or is worded as a change (see :func:`differences`)."""
    return {
        kind
        for kind, (fresh, dropped) in differences(new, old, strict=True).items()
        if fresh and (dropped or new.change)
    }


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
