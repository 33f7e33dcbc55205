"""The one classifier of durable items, shared by memory formation and compaction.

A durable item is a fact, preference, decision, commitment or open question. The
classifier reads a dialogue as alternating turns and decides per sentence from its
structure, not from a cue phrase alone:

- **who asserts**: the user's declarations are candidates; the agent's sentences are
  candidates only as commitments it makes (first person, a deliverable or a date) or as a
  proposal the user then accepts;
- **what the other side confirms**: a bare answer ("30 days.") to the agent's question
  ("Retention?") is a fact about the question's subject; an accepted proposal is a decision;
- **new vs repeated**: a sentence whose content words were already said (the agent
  echoing the user, a repeat) is a confirmation, not a new item;
- **specificity**: names, numbers, dates, times, versions, identifiers and code make a
  declarative sentence a fact; a sentence without any is kept only on stronger evidence. A
  name the dialogue has used is a name also where it starts a sentence ("Sem has …").
- **layout**: a line of a user's list is a member of what the list enumerates; a header that
  only announces a list or a block ("Updated plan:") is no item itself; a setting in a user's
  code block (``key: value``, a pinned ``name==1.2`` or ``image:tag``, a cron schedule) is a
  fact, and a diff's removed and added line of one setting become one change ("timeout: 30s ->
  10s"), unless the prose of the message already says it;
- **clauses**: a sentence that is not durable as a whole may hold a durable clause ("…, but
  only free ones please"), and one that joins two facts with their own values ("metformin 500 mg
  twice a day, and amlodipine 5 mg") gives two items, so that changing one leaves the other.

Lexical signals (modal verbs, evaluative verbs, uncertainty) decide the *kind*; whether a
sentence is durable at all is decided by the speaker, the dialogue move and specificity.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

KINDS = ("fact", "preference", "decision", "commitment", "question")

# a sentence ends at . ! ? and, in chat, at an emoji after a clause of its own ("deal 🤝 also pls remind me …")
_EMOJI = "[\U0001f300-\U0001faff\u2600-\u27bf]"
_SPLIT = re.compile(rf"((?<=[.!?])[\"')\]]*\s+|(?<={_EMOJI})\s+|\n+)")
_ABBREV = re.compile(r"(?:\b(?:vs|approx|incl|cf)|e\.g|i\.e)\.$")
# a title before a name ("Dr. Ferrer", "Dra. Ferrer", "Ms. Novak", "Engr. Ramil") or an initial ("J. Smith") ends no sentence
_TITLE = re.compile(
    r"(?:^|[\s(])(?:Dr|Dra|Drs|Mr|Mrs|Ms|Mx|Mme|Mlle|Prof|Sr|Sra|Srta|St|Rev|Fr|Hr|Jr|Engr|Atty|Capt|Col|Lt|Sgt|Cllr|Insp|[A-Z])\.$"
)
# the same in lower-case chat ("supervisor is dr. okafor"): a name that follows need not be capitalised
_TITLE_LOWER = re.compile(r"(?:^|[\s(])(?:dr|dra|drs|mr|mrs|ms|mx|prof)\.$")
# an abbreviation in a record or a note, where the same line goes on in lower case or with a number ("thomas
# ashworth, b. abt 1871", "m. as mary ann hilton", "occ. coal hewer", "hall ya st. jude"); "no."/"nos." only
# before a number ("pitch no. 3")
_ABBREV_LOWER = re.compile(r"(?:^|[\s(])(?:[a-z]|st|ca|abt|approx|est|occ|ref|engr)\.$")
_NUMBER_ABBREV = re.compile(r"(?:^|[\s(])(?:no|nos|nr)\.$", re.I)
# a day pair or range written with ordinal dots ("6./7.", "13.-14.") or a day before its month ("6. July")
_DAY_DOTS = re.compile(r"(?:^|[\s(])\d{1,2}\.(?:\s?[/–-]\s?\d{1,2}\.)+$")
_DAY_DOT = re.compile(r"(?:^|[\s(])\d{1,2}\.$")
_FENCE = re.compile(r"```.*?(?:```|$)", re.S)
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
_WORD = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9'_.:/@&-]*[a-zA-Z0-9]|[a-zA-Z0-9]")

_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_DAYS = "(?:mon|tues|wednes|thurs|fri|satur|sun)days?|mon|tue|tues|wed|thu|thurs|fri|sat|sun"  # "sundays": recurring
# how often, a value like a recurring weekday ("make it monthly")
FREQUENCIES = "hourly|daily|nightly|weekly|biweekly|fortnightly|monthly|bimonthly|quarterly|yearly|annually"
_SPECIFIC = re.compile(
    r"\d|`[^`]+`|https?://|\b\w+\.\w+/\S+|\b[a-z]+_[a-z_]+\b|\b[a-z]+\.[a-z0-9]+\b"
    rf"|\b(?:{_MONTHS}|{_DAYS}|{FREQUENCIES})\b|\b(?:today|tomorrow|tonight|weekend|next (?:week|month|year|sprint))\b"
    r"|\bevery (?:other )?(?:day|night|morning|evening|week|weekend|month|year|spring|summer|autumn|winter)\b"
    r"|\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twice|dozen)\b"
)
# A value proper (number, date, code), not a name: it makes a header an item and a clause one fact.
_VALUE = re.compile(rf"\d|`[^`]+`|\b[a-z]+_[a-z_]+\b|\b(?:{_MONTHS}|{_DAYS})\b", re.I)
_CLAUSE = re.compile(r"(?:,\s+(?:but|and|while|whereas)|;)\s+|\s+[—–]\s+")
_BLOCK = re.compile(r"```([\w+-]*)[^\n]*\n(.*?)(?:```|$)", re.S)
# A setting in code: key: value, KEY=value, name==1.2, image:tag, name@1.2; or a cron schedule.
_SETTING = re.compile(r"(?<![\w.-])[a-zA-Z_][\w.\-/]*\s*(?:==|[:=@])\s*(?P<v>[^\s(),;]+)")
_CRON = re.compile(r"^\s*[\d*/,-]+(?:\s+[\d*/,-]+){4}\s+\S")
_EXAMPLE = re.compile(r"\b(?:like|e\.g\.|for example|for instance|such as)\s*:?$", re.I)  # "exports look like:"
_MAX_SETTINGS = 12  # a block with more settings is a pasted dump to read, not statements to remember
_SETTING_VALUE = re.compile(r"\d|[a-z]+_[a-z_]+|\w\.\w|://", re.I)
# a yes or no on a labelled subject ("geyser: yes, doing it", "dessert — no."): a decision, like a setting's value
_VERDICT = re.compile(
    r"^(?P<label>[a-z][\w'/-]*(?: [\w'/-]+){0,2})\s*(?::|—|–)?\s+(?:yes|no|yep|nope)(?=\s*(?:[,.;:!—–]|$))"
)
# an answer to a yes/no question, also after a concession ("she suggested it but no, we stay remote")
_YES_NO = re.compile(r"(?:^|\bbut\s+)(?P<answer>yes|yeah|yep|no|nope|nah|not yet)\b[,.!:;]*\s+(?P<rest>.+)", re.I)
_INLINE_NUMBER = re.compile(r"(?:^|(?<=\s))(\d{1,2})[.)]\s+")
_EITHER = re.compile(r"\beither\s+(.+?)\s+or\s+(.+?)(?=[.?!](?:\s|$)|$)", re.S)
# an option picked by its place ("the second one", "1, the night before", "option 2")
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "former": 1}
_ORDINALS |= {"latter": -1, "last": -1} | {str(n): n for n in range(1, 10)}
# a digit alone ("1, the night before", "2.", "option 2"), never a quantity ("2 weeks is fine")
_PICK = re.compile(
    r"^\W*(?:(?:the|option|number|no\.?)\s*)?"
    r"(?P<which>first|second|third|fourth|1st|2nd|3rd|former|latter|last\b|"
    r"[1-9](?=\s*(?:[,.)!:;]|$)|\s+(?:pls|please|thanks|thx|then)\b))"
)
# a reply that takes nothing: a no, a hesitation, a question without its mark
_HOW_ABOUT = re.compile(r"^(?:(?:and|so|ok|okay)\W+)?(?:how|what) about\s+", re.I)
_REFUSE = re.compile(
    r"^\W*(?:no|nah|nope|not|don't|dont|never|neither|none|hm+|um+|uh+|erm|idk|dunno|"
    r"what|why|how|when|where|who|which|wait)\b"
)
# the frame of a proposal ("Want me to …", "Should …"): what is accepted is the rest
_FRAME = re.compile(
    r"^(?:(?:and|so|ok|okay|also)\W+)?(?:(?:do|would) you (?:want|like) (?:me |us )?to|want me to|"
    r"(?:shall|should|can|may) (?:i|we)|should|shall|want to)\s+",
    re.I,
)
_YES_NO_QUESTION = re.compile(r"^(?:should|shall|do|does|did|would|will|can|could|is|are|want|may)\b", re.I)
_ASKS_PREFERENCE = re.compile(r"\b(?:want|prefer|like|rather|kind of|sort of|how (?:much|many|often|long))\b", re.I)
_NAME = re.compile(r"(?<=[\w,;:)] )[A-Z][\w&'-]+|(?<=[\w,;:)] )[A-Z]{2,}\b")
_ACRONYM = re.compile(r"\b[A-Z]{2,}\b")  # a name also where it starts a sentence ("UK", "DHL")
_SUBJECT = re.compile(r"\b(?:i|i'm|im|i've|i'll|we|we're|we've|we'll|my|our|let's|lets)\b")
_FIRST = re.compile(r"\b(?:i|i'm|im|i've|i'd|i'll|me|my|mine|we|we're|we've|we'll|our|ours|us|let's|lets)\b")

_FUTURE = re.compile(
    r"\b(?:will|'ll|shall|going to|gonna|plan(?:ning)? to|intend to|need to|have to|must|promise|"
    r"remind (?:me|you))\b|(?:^|\s)(?:i|we) (?:send|call|write|finish|submit|pay|book|apply|publish)\b"
)
_WHEN = re.compile(
    rf"\b(?:by|on|until|till|before|after|this|next|tomorrow|tonight|today)\b.{{0,24}}"
    rf"(?:\d|\b(?:{_MONTHS}|{_DAYS}|week|weekend|month|time|morning|evening|tonight|tomorrow)\b)"
    r"|\b(?:tomorrow|tonight|soon)\b"
)
_DELIVER = re.compile(
    r"\b(?:send|review|write|draft|check|look (?:up|into)|get back|remind|update|prepare|call|email|book|"
    r"finish|ship|publish|fix|have .{1,30} ready|put together|find)\b"
)
_EVAL = re.compile(
    r"\b(?:(?:i|we|you|they|really|'d|would|do|don't|dont) (?:really )?like|likes|love|loves|hate|hates|"
    r"prefer|prefers|preferred|rather|favou?rite|enjoy|dislike|"
    r"can't stand|cannot stand|can not stand|fan of|want|wants|don't want|allergic|vegetarian|vegan|"
    r"better|come around|fine with|ok with|okay with|avoid)\b"
)
_LEAD = re.compile(r"^(?:(?:also|and|oh|btw|by the way|ok|okay|so|but|fyi|ps)\b[,:]?\s*)+")
_DIRECTIVE = re.compile(
    r"^(?:please\b|pls\b|no \w+|never\b|always\b|don't\b|do not\b|avoid\b|only\b)|"
    r"\b(?:please|pls|only)[.!]*$"
)
_CHOICE = re.compile(
    r"\b(?:decide[ds]?|decision|agreed|agree on|go(?:ing)? with|went with|chose|choose|picked|pick|"
    r"settled?|switch(?:ed|ing)? to|chang(?:e|ed|ing) (?:to|supplier|the)|mov(?:e|ed) (?:the|to)|"
    r"replac(?:e|ed|ing)|upgrad(?:e|ed|ing) to|bump(?:ed)?|stays? at|keep(?:ing)?|let'?s|lets|plan:|"
    r"we open|we use|we'll use|apply only|returns? .{0,20}now)\b"
)
# a change stated as such ("the repo is on prettier defaults now, so spaces"): it updates something said before
_CHANGED = re.compile(
    r"\b(?:now|anymore|any more)(?=\s*(?:[,.;!]|$))|\b(?:from now on|no longer)\b|\b(?:switched|changed|moved) to\b"
)
# a choice stated without its subject ("decided on the waitlist: notify only"): the speaker's own
_CHOSE = re.compile(r"(?:decided|agreed|settled|went with|going with|chose|picked|switched)\b")
_UNSURE = re.compile(
    r"\b(?:not sure|unsure|don't know|dont know|do not know|unclear|undecided|open (?:question|q)\b|tbd|"
    r"haven't decided|have not decided|can't decide|still deciding|back and forth|wonder(?:ing)? (?:if|whether)|"
    r"(?:not|isn't|aren't|nothing) (?:yet )?(?:decided|settled|final|fixed|confirmed)|"
    r"whether|or not|figure out|wait and see|"
    r"(?:we'll|we will|i'll|i will|will) see (?:after|when|if|how|whether|about|later))\b"
)
# a deferral: when it will be decided, not what ("will see after half term")
_DEFER = re.compile(
    r"\b(?:wait and see|(?:we'll|we will|i'll|i will|will) see (?:after|when|if|how|whether|about|later))\b"
)
_DELIBERATE = re.compile(
    r"^(?:should|shall|do|does|can|could|would|is it)\b.*\bor\b|^should (?:i|we)\b|"
    r"\bwhether\b"
)
# a choice between two options the user weighs, not asked of the agent ("frame bag or just jersey pockets for
# 180 k?", "deer shed: do they provide pa or do we bring our own?")
_WEIGHS = re.compile(r"\w\W*\s+or\s+\w")
_YOU = re.compile(r"\b(?:you|your|yours|u|ur)\b")
# a question its line goes on after, with its status or what the user knows ("…? no quotes yet", "who was the
# first husband? a hilton, that's all i have")
_QUESTION_GOES_ON = re.compile(r"\?+\s+(?=[a-z])")
# a request that the assistant keep what the user tells it ("keep these for me pls", "so you can keep track",
# "please record the following as …"): about the conversation, not a durable item itself ("remember that …"
# introduces one, and stays)
_KEEP_FOR_ME = re.compile(
    r"\b(?:remember|record|log|note|track|keep|keeping|save|store)\b(?!\s+(?:that|in mind)\b)"
    r"(?:\s+(?:these|this|it|them|things|everything|all (?:this|that)|the following|track(?: of)?))?"
    r"(?:\s+for me\b|\s*(?:pls|please)?[.!]*$)"
    r"|\b(?:keep|keeping|store|storing|save|saving)\s+(?:[\w'-]+\s+){1,3}with you\b"
    r"|\b(?:pls|please)\s+(?:remember|record|log|note|save|store)\b(?!\s+(?:that|in mind)\b)"
    r"|\byou (?:can |could |to )?(?:remember|record|log|note|keep track|save|store)\b(?!\s+(?:that|in mind)\b)"
)
# a pasted message's stamp or a checklist box before its text ("[Callum, 12 May] …", "[x] …"): who wrote it and
# when, or whether it is done, no content of what it says
STAMP = re.compile(r"^\s*(?:\[[^\[\]]{0,60}\]\s*)+")
_DATED = re.compile(rf"(?<![\w.])\d|\b(?:{_MONTHS}|{_DAYS})\b")  # a number or a date of its own ("v1" is a label)
# a heading over questions still open ("### Open", "## Questions"): a question under it is the user's open question
_OPEN_HEADING = re.compile(r"\b(?:open|questions?|tbd|undecided|to decide|unresolved|pending)\b")
# a value given to a label in prose ("manager = sister hallam btw", "cabins: me + kasia fwd"), like a setting
LABEL_VALUE = re.compile(
    r"^\s*(?:[-*•]\s+)?(?P<label>[a-z][\w'/-]*(?: [\w'/-]+){0,2})\s*(?:=|:)\s+(?P<value>\S.*?)[\s.!]*$"
)
# a record under a label in capitals ("ZAIN — firmed durham instead", "RULE: nothing goes in the tree …")
_CAPS_LABEL = re.compile(
    r"^(?P<label>[A-Z][A-Z0-9&'/-]+(?: [A-Z][A-Z0-9&'/-]+){0,2})\s*(?::|—|–| - )\s*(?P<rest>\S.*)$"
)
NO_LABEL = frozenset("note notes update edit btw fyi ps also ok okay so q a re subject tldr tl;dr nb".split())
# a sentence that only announces what follows ("Two further matters.", "a couple of things:")
_ANNOUNCE = re.compile(
    r"^(?:(?:also|ok|okay|so|and|right)\W+)?(?:a few|a couple of|couple of|some|several|two|three|four|five|\d)\s+"
    r"(?:(?:more|further|other|quick|small|last|new|big)\s+)*(?:things?|matters?|points?|updates?|changes?|"
    r"questions?|items?|bits?)\b[.!:]*$"
)
# a title line: a markdown heading, or a pasted message's subject line
_TITLE_LINE = re.compile(r"^(?:#{1,6}\s|(?:subject|re|fwd?):\s)", re.I)
_REQUEST = re.compile(
    r"^(?:(?:maybe )?(?:you )?(?:can|could|would) you|(?:maybe )?you (?:can|could)|"
    r"can you|could you|please (?:send|find|write|explain|confirm)|send me|you find|explain|let me know|lmk|"
    r"what|how|why|where|who|which)\b"
)
_NEGATED = re.compile(r"\b(?:no|not|never|nor|neither|none|nothing)\b|n't\b")
_NOT = frozenset({"<not>"})  # the negation a sentence holds, as a word of it
_RECENT = 40  # how many items said before a new one is compared with, for a repeat
_ACCEPT = re.compile(
    r"^(?:yes|yeah|yep|yup|sure|ok|okay|sounds good|agreed|deal|perfect|great|"
    r"let'?s do (?:it|that)|do it|go ahead|correct|exactly)\b"
)
_OFFER = re.compile(r"\b(?:i'll|i will|i can|i could|let me|we could|you could)\b")
_HEDGE = re.compile(r"\b(?:maybe|let me (?:think|talk|check)|not sure|could work|perhaps|later)\b")
_PROPOSAL = re.compile(
    r"\b(?:you could|we could|i'd suggest|i suggest|i recommend|how about|what about|"
    r"option)\b"
)
_AGENT_TRIGGER = (
    "'ll",
    "will",
    "shall",
    "going to",
    "could",
    "suggest",
    "recommend",
    "how about",
    "what about",
    "option",
)
STOP = frozenset(
    "a an the and or but so to of in on at for with from by is are was were be been am it its this that these "
    "those i me my we our us you your he she they them his her their i'm im i've i'd i'll we're we've we'll "
    "let's lets do does did have has had will would can could should shall just also really very too then "
    "there here what which who how when where why if as about into than not no yes ok okay oh hey hi hello "
    "thanks thank please pls now still some any all one up out get got go going".split()
)


@dataclass(frozen=True)
class Utterance:
    """One message of a dialogue: ``role`` is ``user`` or ``assistant``; ``seq`` its position."""

    role: str
    text: str
    seq: int
    at: str | None = None


@dataclass(frozen=True)
class Item:
    """A durable item: its kind, the sentence (with a fragment's subject prepended), who said
    it and where, and how sure the classifier is."""

    kind: str
    text: str
    role: str
    seq: int
    at: str | None
    confidence: float

    def who(self) -> str:
        return "User" if self.role == "user" else "Agent"


def _bare_line(line: str) -> str:
    return _BULLET.sub("", line).strip()


def list_lines(text: str) -> set[str]:
    """The lines of ``text`` that are list members (bullets or numbered), bullets stripped."""
    return {_bare_line(line) for line in _FENCE.sub("\n", text).splitlines() if _BULLET.match(line)}


def record_lines(text: str) -> set[str]:
    """The lines of a message laid out one record a line (three lines or more outside code: a log, a report,
    notes): members of what the message lists, like a list's lines. A first line that only introduces the
    records ("tech week checklist", "SM notes, keep these for me pls"), a table's rows or columns ("| site |
    planned |", "qty  code  unit") and a caption in brackets are read otherwise."""
    lines = [line.strip() for line in _FENCE.sub("\n", text).splitlines() if line.strip()]
    if len(lines) < 3:
        return set()
    first = lines[0].lower()
    if len(content_words(first)) <= 4 or _KEEP_FOR_ME.search(first) or re.search(r"\b(?:please|pls)\b", first):
        lines = lines[1:]
    return {line for line in lines if not re.search(r"\||\S {2,}\S|^\(.*\)$", line)}


def code_lines(text: str) -> list[tuple[str, str]]:
    """``(lead, statement)`` for each setting a fenced code block states: ``lead`` is the prose
    sentence just before the block; a diff's removed and added line of one setting become
    ``"key: old -> new"``; lines of ordinary code (calls, control flow) are no settings, and a
    block of more than ``_MAX_SETTINGS`` is a pasted dump, not statements."""
    out: list[tuple[str, str]] = []
    for block in _BLOCK.finditer(text):
        before = sentences(text[: block.start()])
        lead = before[-1] if before else ""
        lines = [line.rstrip() for line in block.group(2).splitlines() if line.strip()]
        data = _data(block.group(2), lines)
        if data is not None:  # a JSON object's fields, a table's rows: statements when few enough
            header, records = data
            if len(records) <= _MAX_SETTINGS and not _EXAMPLE.search(lead):
                out += [(joined(lead, header), record) for record in records]
            continue
        if sum(1 for line in lines if _is_setting(line.lstrip("+- "))) > _MAX_SETTINGS:
            continue
        diff = block.group(1) == "diff" or (
            lines and all(line[:1] in "+- " for line in lines) and any(line[:1] in "+-" for line in lines)
        )
        if not diff:
            out += [(lead, line.strip()) for line in lines if _is_setting(line)]
            continue
        removed = [line[1:].strip() for line in lines if line.startswith("-") and not line.startswith("---")]
        for added in (line[1:].strip() for line in lines if line.startswith("+") and not line.startswith("+++")):
            if not _is_setting(added):
                continue
            old = max(removed, key=lambda r: len(_common_key(r, added)), default="")
            key = _common_key(old, added)
            if key:
                removed.remove(old)
                out.append((lead, f"{key}{old[len(key) :]} -> {added[len(key) :]}"))
            else:
                out.append((lead, added))
    return out


_COMMENT = re.compile(r"(?:^|\s)(?:#|//)\s*[a-zA-Z]")


def pasted_lines(text: str) -> list[str]:
    """The lines of the short fenced blocks in ``text`` (at most ``_MAX_SETTINGS`` lines; a longer one
    is a dump) that state something: a value ("51820/udp -> 192.168.50.12") or a comment in words
    ("image: pihole/pihole:latest # ad blocking for the whole house"). Structure ("services:", "};")
    and calls are left out. Compaction keeps them below the durable items."""
    out: list[str] = []
    for block in _BLOCK.finditer(text):
        lines = [line.strip() for line in block.group(2).splitlines() if line.strip()]
        if len(lines) <= _MAX_SETTINGS:
            out += [line for line in lines if "(" not in line and (_VALUE.search(line) or _COMMENT.search(line))]
    return out


_WH = re.compile(r"^(?:what|which|who|whom|whose|where|when|why|how)\b")


def _checks_only(text: str) -> bool:
    """``text`` asks nothing, or only whether what it says is right: its one question is its last
    sentence, asks for nothing new (no "which …", no value) and has at most two content words ("OK?",
    "Sound good?", "Does that work?")."""
    if "?" not in text:
        return True
    last = (sentences(text) or [""])[-1]
    if text.count("?") != 1 or not last.endswith("?") or _WH.match(last.lower()):
        return False
    return len(content_words(last)) <= 2 and not is_specific(last)


@dataclass(frozen=True)
class _Unit:
    """A sentence of a turn, the turn it answers, whether it opens (``first``) or is (``alone``) the
    answer, and the number of the question it answers as written ("2." or "2)"; "": not numbered)."""

    sentence: str
    asked: Utterance | None
    first: bool
    alone: bool
    number: str = ""

    def marked(self, item: Item) -> Item:
        """``item`` with the number of the question it answers kept before its sentence."""
        if not self.number:
            return item
        return replace(item, text=item.text.replace(self.sentence, f"{self.number} {self.sentence}", 1))


def _enumerated(text: str, *, lines: bool = False) -> tuple[str, list[str], list[str]]:
    """``(lead, parts, marks)`` of a text numbered inline ("A few questions: 1. When …? 2. Who …?"),
    or with ``lines`` also line by line: the parts after 1., 2., … in order, at least two, and their
    marks as written; ``("", [], [])`` for any other text."""
    marks = [m for m in _INLINE_NUMBER.finditer(text) if lines or "\n" not in text[max(0, m.start() - 1) : m.start()]]
    found: list[re.Match[str]] = []
    for m in marks:
        if int(m.group(1)) == len(found) + 1:
            found.append(m)
    if len(found) < 2:
        return "", [], []
    ends = [m.start() for m in found[1:]] + [len(text)]
    parts = [text[m.end() : end].strip() for m, end in zip(found, ends, strict=True)]
    return text[: found[0].start()].strip(), parts, [m.group(0).strip() for m in found]


def _options(text: str) -> list[str]:
    """The options the agent offers: numbered inline ("1. the night before 2. the morning of") or
    "either A or B"."""
    numbered = [p for p in _enumerated(text, lines=True)[1] if not p.rstrip().endswith("?")]
    if len(numbered) >= 2:
        return numbered
    either = _EITHER.search(text)
    return [either.group(1).strip(), either.group(2).strip()] if either else []


def _offered(text: str) -> list[str]:
    """What a turn offers to choose from: its numbered parts, a question among them too ("1. a shared
    calendar 2. an email digest. Which do you prefer?"), and the two sides of "either A or B"."""
    either = _EITHER.search(text)
    return [*_enumerated(text, lines=True)[1], *(either.groups() if either else ())]


def _options_in(sentence: str) -> bool:
    return bool(_EITHER.search(sentence) or len(_enumerated(sentence)[1]) >= 2)


def _opens(text: str, sentence: str) -> bool:
    """``sentence`` is followed by a code block in ``text`` (it announces the block)."""
    at = text.find(sentence)
    return at >= 0 and "```" in text[at + len(sentence) :]


def _data(body: str, lines: list[str]) -> tuple[str, list[str]] | None:
    """A block of data: a JSON object gives one field a record (``"publish_day": "Tuesday"``; an
    object led by its number, like a row, and each object of an array are one record each),
    delimited rows give one row each, after their header
    (every line split into the same number of cells, two or more). ``(header, records)``; None
    for any other block."""
    parsed = None
    for text in (body, "{" + body.strip().rstrip(",") + "}"):  # a pasted object, or some of its fields
        try:
            parsed = json.loads(text)
            break
        except ValueError:
            continue
    if isinstance(parsed, dict) and parsed:
        if isinstance(next(iter(parsed.values())), int | float):  # a record led by its number ("ep": 305)
            return "", [_dumps(parsed)]
        return "", [f"{_dumps(k)}: {_dumps(v)}" for k, v in parsed.items()]
    if isinstance(parsed, list) and parsed and all(isinstance(x, dict) for x in parsed):
        return "", [_dumps(x) for x in parsed]
    if len(lines) < 2 or any(line.lstrip()[:1] in "+-#/" for line in lines):
        return None
    try:
        dialect = csv.Sniffer().sniff("\n".join(lines[:5]), delimiters=",;\t|")
    except csv.Error:
        return None
    rows = list(csv.reader(lines, dialect))
    if len({len(r) for r in rows}) != 1 or len(rows[0]) < 2:
        return None
    has_header = not any(c.isdigit() for c in lines[0]) and any(c.isdigit() for c in "".join(lines[1:]))
    return (lines[0], lines[1:]) if has_header else ("", lines)


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def joined(*parts: str) -> str:
    """The non-empty parts, space-separated."""
    return " ".join(p for p in parts if p)


def _is_setting(line: str) -> bool:
    if _CRON.match(line):
        return True
    found = _SETTING.search(line)
    if not found or len(line) > 160 or "(" in line:
        return False
    value = line[found.start("v") :].strip()  # the whole value ("server: Paper 1.20.4"), or a quoted string
    return bool(_SETTING_VALUE.search(value) or re.fullmatch(r"\"[^\"]+\",?|'[^']+',?", value))


def _common_key(a: str, b: str) -> str:
    """The shared start of two lines up to a separator ("timeout: " of "timeout: 30s" and "timeout: 10s")."""
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    cut = max(a.rfind(sep, 0, n) for sep in (" ", ":", "=", "@"))
    return a[: cut + 1] if cut >= 2 and a[: cut + 1].strip() and a != b else ""


def sentences(text: str) -> list[str]:
    """The sentences of ``text`` (code blocks dropped, list bullets stripped)."""
    prose = _FENCE.sub("\n", text) if "```" in text else text
    out: list[str] = []
    glue = False
    ended = ""  # the piece before, when its last dot may end no sentence
    pieces = _SPLIT.split(prose)
    for k in range(0, len(pieces), 2):
        part = pieces[k] or ""
        same_line = k > 0 and "\n" not in (pieces[k - 1] or "")
        if ended and _continues(ended, part, same_line=same_line):
            glue = True
        else:
            part = _BULLET.sub("", part)
        part = part.strip()
        if glue and out:  # "e.g." or "Dr. Ferrer": not a sentence end
            out[-1] = f"{out[-1]} {part}"
        elif len(part) > 1:
            out.append(part)
        # "e.g." is no sentence end, nor an emoji after a fragment ("Go on then, Thursday it is 🚂 Mum's …")
        glue = bool(_ABBREV.search(part)) or bool(re.search(f"{_EMOJI}$", part) and len(content_words(part)) < 3)
        ended = part if not glue and part.endswith(".") else ""
    return out


def _continues(before: str, after: str, *, same_line: bool = True) -> bool:
    """The dot that ended ``before`` ends no sentence: a title or an initial before a name
    ("Dra. Ferrer", "dr. okafor"), a day pair written with ordinal dots ("6./7. is Markus"), a day
    before its month ("am 6. Juli"), an abbreviation that its line goes on after ("b. abt 1871",
    "no. 3 by the entrance")."""
    head = after.lstrip()
    if same_line and _NUMBER_ABBREV.search(before) and head[:1].isdigit():
        return True
    if same_line and _ABBREV_LOWER.search(before) and (head[:1].isdigit() or head[:1].islower()):
        return True
    if _TITLE.search(before):
        return head[:1].isupper()
    if _TITLE_LOWER.search(before):  # "dr. okafor", not "the dr. she said …"
        word = re.match(r"[\w']+", head)
        return word is not None and word.group(0).lower() not in STOP
    if _DAY_DOTS.search(before):  # unless a new sentence starts ("… for 11./12. And Stefan …")
        word = re.match(r"[\w']+", head)
        return not (head[:1].isupper() and word and word.group(0).lower() in STOP)
    return bool(_DAY_DOT.search(before) and re.match(rf"(?:{_MONTHS})\b", head.lower()))


def _records(sentence: str) -> list[str]:
    """The parts of a sentence that lists parallel records, each led by its own value and naming
    its own things ("June: 6./7. is Markus and Stefan, 13./14. is Anja and me") or each naming its
    own things and ending with its own value ("maya chess on wed, leo football on fri"): one item
    each, so a change to one leaves the others. [] for any other sentence."""
    parts = [p.strip() for p in sentence.rstrip(".").split(", ")]
    if len(parts) < 2:
        return []
    lead = re.sub(r"^[^\s:,]+:\s+", "", parts[0])  # a label before the first record ("June: ")
    if _parallel([lead, *parts[1:]]):
        return parts
    heads, words = set(), []
    for part in [lead, *parts[1:]]:
        head = re.match(r"\d\S*\s+(\S+)", part)
        if not head:
            return []
        heads.add(head.group(1).lower())
        words.append([w for w in content_words(part) if not _VALUE.search(w)])
    # parallel: the same word after each value ("6./7. is …, 13./14. is …"), or each part names two things
    if len(heads) > 1 and any(len(w) < 2 for w in words) or not all(words):
        return []
    return parts


def _goes_on(text: str, parts: list[str]) -> list[str]:
    """``parts`` (the sentences of ``text``) with a question that is not asked of the agent joined to what its
    line goes on with in lower case: its status or what the user knows of it ("door entry: repair or replace?
    no quotes yet", "who was the first husband? a hilton, that's all i have"), one open question."""
    out: list[str] = []
    for part in parts:
        before = out[-1] if out else ""
        if (
            before.endswith("?")
            and part[:1].islower()
            and not _YOU.search(before.lower())
            and re.search(re.escape(before) + r"[ \t]+" + re.escape(part), text)
        ):
            out[-1] = f"{before} {part}"
        else:
            out.append(part)
    return out


_SUBORDINATE = re.compile(r"(?:so|if|because|since|as|which|when|while|though|although|unless|until)\b")


def _parallel(parts: list[str]) -> bool:
    """Each part names things of its own and ends with its own value ("maya chess on wed, leo
    football on fri")."""
    if not all(p.split() and _VALUE.search(p.split()[-1]) for p in parts):
        return False
    words = [{w for w in content_words(p) if not _VALUE.search(w)} for p in parts]
    return (
        all(len(w) >= 2 for w in words)
        and not any(_SUBORDINATE.match(p.lower()) for p in parts[1:])  # "…, so if 12 Mar slips …"
        and not any(a & b for n, a in enumerate(words) for b in words[n + 1 :])
    )


_CASED = re.compile(r"[^\W\d_]")


def unshout(text: str) -> str:
    """``text`` with each line written in capitals throughout ("I HAVE 4 HIVES AT THE ALLOTMENT ...")
    in lower case: shouted text makes every word look like a name or an acronym, so it is read the way
    an ordinary sentence is. A line with a lower-case letter, fewer than four words or any code
    (backticks, ``KEY=VALUE``) stays as written."""
    if "`" in text or not any(line.isupper() for line in text.splitlines()):
        return text
    return "\n".join(_unshout_line(line) for line in text.split("\n"))


def _unshout_line(line: str) -> str:
    words = sum(1 for w in line.split() if _CASED.search(w))
    if not line.isupper() or words < 4 or "=" in line or len(_CASED.findall(line)) < 12:
        return line
    return line.lower()


def content_words(text: str) -> set[str]:
    """Lower-cased words that carry meaning (stop words and one-letter tokens dropped)."""
    return {
        w
        for w in (m.group(0).strip(".:") for m in _WORD.finditer(text.lower()))
        if w and w not in STOP and (len(w) > 1 or w.isdigit())
    }


def values(text: str) -> tuple[str, ...]:
    """The specific values a sentence names: numbers, dates, names, identifiers."""
    found = [m.group(0).strip("`") for m in _SPECIFIC.finditer(text.lower())]
    nums = re.findall(r"\d[\d,.:/-]*\d|\d", text)
    names = [m.group(0).lower() for m in _NAME.finditer(text)]
    codes = [c.lower() for c in re.findall(r"`([^`]+)`", text)]
    keep = {v for v in [*nums, *names, *codes] if v}
    keep |= {f for f in found if not f[0].isdigit() and len(f) > 2}
    return tuple(sorted(keep))


def is_specific(text: str) -> bool:
    """The sentence names something specific (a number, date, name, identifier, code)."""
    return bool(_SPECIFIC.search(text.lower()) or _NAME.search(text))


def topic(
    turns: Sequence[Utterance], item: Item, items: Sequence[Item] = (), *, terse: bool = False, header: bool = False
) -> str:
    """What the dialogue says ``item`` is about beyond its own words: the sentence before it in
    the same message ("Bad news: the race is full." before "I signed up for Utrecht instead.";
    "We signed for Kildonan Road!" before "£1,280 in the end") unless that is one of ``items``,
    the prose that introduced a code block for a setting of it (with ``header``, also the sentence
    before a lead that only announces the block: "moved the backups. crontab is now:"), and the
    question a reply's first sentence answers (any ``terse`` sentence of the reply: "yes pls. …
    ok it's the 16th now" after "want a study plan for the GIS exam?")."""
    i = next((k for k, t in enumerate(turns) if t.seq == item.seq), None)
    if i is None:
        return ""
    lead = next((lead for lead, line in code_lines(turns[i].text) if line == item.text), None)
    if lead is not None:  # a setting from a code block: the prose that introduced the block
        if header and lead.rstrip().endswith(":") and lead in turns[i].text:
            before = sentences(turns[i].text[: turns[i].text.index(lead)])
            return " ".join([*before[-1:], lead])
        if lead:
            return lead
        parts, n = [], 0  # a block that opens its message: the question it answers
    else:
        parts = sentences(turns[i].text)
        n = next((k for k, p in enumerate(parts) if p in item.text), 0)
    out = []
    prev = turns[i - 1] if i > 0 and turns[i - 1].role != turns[i].role else None
    unit = next((u for u in Classifier._units(turns[i], prev) if u.number and u.sentence in item.text), None)
    if unit is not None and unit.asked is not None:  # a numbered answer: the question of its number
        n, asked = 0, [unit.asked.text]
    else:
        if n > 0 and not any(parts[n - 1] in other.text for other in items if other.seq == item.seq):
            out.append(parts[n - 1])
        asked = sentences(prev.text) if prev is not None else []
    if (n == 0 or terse) and prev is not None and asked and asked[-1].rstrip().endswith("?"):
        opened = sentences(turns[i - 2].text) if i > 1 and turns[i - 2].role == turns[i].role else []
        if len(opened) == 1 and not _VALUE.search(opened[0]) and len(content_words(opened[0])) <= 5:
            out.append(opened[0])  # the topic the user opened, that the agent's question follows up
        out.append(asked[-1])
    return " ".join(out)


def said_before(turns: Sequence[Utterance], item: Item) -> list[str]:
    """The sentences its speaker said before ``item`` in ``turns``, oldest first (a correction's
    candidates for what it corrects)."""
    out: list[str] = []
    for turn in turns:
        if turn.role != item.role or turn.seq > item.seq:
            continue
        parts = sentences(turn.text)
        if turn.seq == item.seq:
            parts = parts[: next((k for k, p in enumerate(parts) if p in item.text), 0)]
        out += parts
    return out


class Classifier:
    """Durable items of a dialogue. Stateless; ``seen`` (content words of earlier items)
    makes repeats confirmations instead of new items."""

    min_words = 2
    durable_floor = 0.45  # the least confidence of a durable item
    residual_confidence = 0.3  # below every durable item; 0.4 with a value

    def items(
        self, turns: Sequence[Utterance], seen: Iterable[frozenset[str]] = (), *, residual: bool = False
    ) -> list[Item]:
        """Every durable item in ``turns``, in order. With ``residual`` also every other substantive
        sentence (see :meth:`_residual`) at a lower confidence: what compaction ranks to fill its
        budget (formation keeps only the durable items)."""
        said: list[frozenset[str]] = list(seen)
        weak: list[bool] = [False] * len(said)  # said[k] is an open question's or a residual line's words
        out: list[Item] = []
        names: set[str] = set()
        heard: set[str] = set().union(*said)  # what the user said before: a proposal repeating it only checks
        turns = [replace(t, text=unshout(t.text)) for t in turns]
        for i, turn in enumerate(turns):
            if turn.role not in ("user", "assistant") or not turn.text.strip():
                continue
            names |= {n.lower() for n in _NAME.findall(turn.text)}
            prev = self._previous(turns, i)
            nxt = self._next(turns, i)
            accepts = self._accepts(turn, prev, heard) if turn.role == "user" else None
            if turn.role == "user":
                heard |= content_words(turn.text)
            for item in [accepts] if accepts else self._turn(turn, prev, nxt, names, residual):
                words = frozenset(content_words(item.text))
                if residual and _NEGATED.search(item.text.lower()):
                    words |= _NOT  # compaction: "no train." repeats no "We take the train …"
                if item.role == "assistant" and item.kind != "commitment" and self._repeats(words, said):
                    continue
                if item.role == "assistant" and item.kind == "commitment" and self._echoes(words, said):
                    item = Item(item.kind, item.text, item.role, item.seq, item.at, min(1.0, item.confidence + 0.1))
                if item.role == "user" and self._repeats(words, self._stated(said, weak, item), 0.9):
                    continue
                said.append(words)
                weak.append(item.kind == "question" or item.confidence < self.durable_floor)
                out.append(item)
        return out

    # -- one turn -----------------------------------------------------------------------

    @staticmethod
    def _previous(turns: Sequence[Utterance], i: int) -> Utterance | None:
        for j in range(i - 1, -1, -1):
            if turns[j].role in ("user", "assistant") and turns[j].text.strip():
                return turns[j] if turns[j].role != turns[i].role else None
        return None

    @staticmethod
    def _next(turns: Sequence[Utterance], i: int) -> Utterance | None:
        for j in range(i + 1, len(turns)):
            if turns[j].role in ("user", "assistant") and turns[j].text.strip():
                return turns[j] if turns[j].role != turns[i].role else None
        return None

    def _turn(
        self, turn: Utterance, prev: Utterance | None, nxt: Utterance | None, names: set[str], residual: bool = False
    ) -> list[Item]:
        low = turn.text.lower()
        # a "yes" to a turn that asks nothing, or only whether it is right ("… Postgres 15 instance. OK?"),
        # accepts what it proposes (what compaction's residual lines read)
        accepted = (
            residual and nxt is not None and bool(_ACCEPT.search(nxt.text.strip().lower())) and _checks_only(turn.text)
        )
        if turn.role == "assistant" and not any(t in low for t in _AGENT_TRIGGER):
            if not (residual and (accepted or _OFFER.search(low))):
                return []  # the agent's sentences count only as commitments or accepted proposals
        heard = content_words(prev.text) if residual and prev is not None else set()
        units = self._units(turn, prev)
        parts = [u.sentence for u in units]
        listed = list_lines(turn.text) | record_lines(turn.text) if turn.role == "user" else set()
        out: list[Item] = []
        members: list[str] = []  # list lines that are no item by themselves
        heading = ""
        for n, unit in enumerate(units):
            sentence = unit.sentence
            if _TITLE_LINE.match(sentence):
                heading = sentence.lower()
                # a title ("## [planning] 2026-04-02", "Subject: Plan change"): what follows says it
                out += self._says_more(sentence, turn, unit, heard, accepted) if residual else []
                continue
            if _ANNOUNCE.match(sentence.lower()) and n < len(parts) - 1:
                continue  # "Two further matters.": what follows says them
            if (
                turn.role == "user"
                and sentence.rstrip().endswith("?")
                and heading.startswith("#")
                and _OPEN_HEADING.search(heading)
                and len(content_words(sentence)) >= 2
            ):
                out.append(Item("question", sentence, turn.role, turn.seq, turn.at, 0.7))
                continue  # "### Open / - publisher or self-publish?": a question the user keeps open
            if (
                sentence.endswith(":")
                and not _VALUE.search(sentence)
                and (n < len(parts) - 1 or _opens(turn.text, sentence) and not is_specific(sentence))
            ):
                # a header announcing a list or a block ("Updated plan:")
                out += self._says_more(sentence, turn, unit, heard, accepted) if residual else []
                continue
            if turn.role == "user":
                found = self._user_clauses(sentence, turn, unit.asked, names, first=unit.first, alone=unit.alone)
                if residual and found and all(i.text in sentence and i.text != sentence for i in found):
                    # compaction keeps the sentence in its own words, not the clauses formation splits it into
                    found = [replace(max(found, key=lambda i: i.confidence), text=sentence)]
                found = [unit.marked(i) for i in found]  # an answer keeps its question's number
            else:
                found = [item for item in [self._agent(sentence, turn, nxt)] if item]
            if (
                len(found) == 1
                and found[0].kind == "question"
                and out
                and out[-1].kind == "question"
                and _DEFER.search(sentence.lower())
            ):  # "not yet, …. will see after half term": one open question, about what the first says
                out[-1] = replace(out[-1], text=f"{out[-1].text} {found[0].text}")
                continue
            if not found and unit.number and unit.asked is not prev and unit.asked is not None:
                # an answer to the agent's numbered question is an item even without a value ("2) east side", "3. me")
                subject = self._subject(unit.asked.text)
                said = content_words(sentence) or subject and _WORD.search(sentence)  # "3. me" to "Who drives?"
                if said and not _HEDGE.search(sentence.lower()) and not sentence.endswith("?"):
                    text = f"{unit.number} {sentence}"
                    out.append(
                        Item("fact", f"{subject}: {text}" if subject else text, turn.role, turn.seq, turn.at, 0.55)
                    )
                    continue
            if not found:
                # A bare "Not sure yet." marks the sentence before it as an open question.
                if (
                    turn.role == "user"
                    and out
                    and _UNSURE.search(sentence.lower())
                    and len(content_words(sentence)) <= 2
                ):
                    last = out[-1]
                    out[-1] = Item("question", last.text, last.role, last.seq, last.at, 0.8)
                elif sentence in listed and len(content_words(sentence)) >= 3:
                    members.append(sentence)
                elif residual and (
                    left := self._residual(
                        sentence,
                        turn,
                        unit.asked,
                        heard,
                        first=unit.first,
                        accepted=accepted,
                        member=sentence in listed,
                    )
                ):
                    out.append(unit.marked(left))
                continue
            out += found
        if members and sum(1 for item in out if any(item.text in line for line in listed)) >= 2:
            # the other members of a list that enumerates durable items are durable too
            out += [
                Item("question" if m.endswith("?") else "fact", m, turn.role, turn.seq, turn.at, 0.5) for m in members
            ]
        elif residual:  # compaction keeps what a list enumerates ("- hiking boots and thick socks")
            left_out = (
                self._residual(m, turn, prev, heard, first=False, accepted=accepted, member=True) for m in members
            )
            out += [item for item in left_out if item]
        if turn.role == "user" and "```" in turn.text:
            prose = set().union(*(content_words(p) for p in parts)) if parts else set()
            settings = [line for _, line in code_lines(turn.text) if not content_words(line) <= prose]
            out += [Item("fact", line, turn.role, turn.seq, turn.at, 0.6) for line in settings]
            if residual:  # the rest of a short paste that states something ("51820/udp -> 192.168.50.12")
                prose |= set().union(*(content_words(line) for line in settings))
                out += [
                    Item("fact", line, turn.role, turn.seq, turn.at, self.residual_confidence)
                    for line in pasted_lines(turn.text)
                    if not content_words(line) <= prose
                ]
        return out

    def _says_more(self, line: str, turn: Utterance, unit: _Unit, heard: set[str], accepted: bool) -> list[Item]:
        """A title or a header that says more than it announces, as a residual line for compaction: three
        or more content words besides its marker ("the gym owner (Kasia) wants:", "Subject: Boiler
        service moved to Thursday"); [] for one that only announces ("Updated plan:", "## Notes")."""
        if len(content_words(_TITLE_LINE.sub("", line))) < 3:
            return []
        left = self._residual(line, turn, unit.asked, heard, first=unit.first, accepted=accepted)
        return [left] if left else []

    @staticmethod
    def _units(turn: Utterance, prev: Utterance | None) -> list[_Unit]:
        """The sentences of a turn with the turn each answers. Answers numbered inline ("1. thursdays
        now 2. same, till 4.15 3. £3 a week from march") are split at their numbers, and the n-th
        answers the agent's n-th numbered question ("… 1. New day? 2. New finish time? …")."""
        lead, answers, marks = _enumerated(turn.text) if turn.role == "user" else ("", [], [])
        asked = []
        if turn.role == "user" and prev is not None and re.search(r"\d[.)]\s", prev.text):
            asked = [q for q in _enumerated(prev.text, lines=True)[1] if q.rstrip().endswith("?")]
            if not answers and asked:  # answered line by line, as many as were asked
                lead, answers, marks = _enumerated(turn.text, lines=True)
                if len(answers) != len(asked):
                    lead, answers, marks = "", [], []
        if not answers:
            parts = _goes_on(turn.text, sentences(turn.text)) if turn.role == "user" else sentences(turn.text)
            return [_Unit(p, prev, n == 0, len(parts) == 1) for n, p in enumerate(parts)]
        units = [_Unit(p, prev, n == 0, False) for n, p in enumerate(sentences(lead))]
        for k, (answer, mark) in enumerate(zip(answers, marks, strict=True)):
            to = replace(prev, text=asked[k]) if prev is not None and len(asked) == len(answers) else prev
            parts = _goes_on(answer, sentences(answer))
            units += [_Unit(p, to, n == 0, len(parts) == 1, mark if n == 0 else "") for n, p in enumerate(parts)]
        return units

    def _accepts(self, turn: Utterance, prev: Utterance | None, heard: set[str]) -> Item | None:
        """A short reply that takes what the agent just proposed: it picks one of the options the agent
        offered by its place ("the second one. 26 april.", "1, the night before pls") or says yes with
        no content of its own ("yep that", "aye go on") to a question proposing something new (a value
        the user has not said: "Should the next order go in on Tuesday 28 April then?"). The accepted
        value is the user's decision: the reply with what it accepts."""
        if prev is None or prev.role != "assistant" or "?" in turn.text or "```" in turn.text:
            return None
        reply = " ".join(turn.text.split()).rstrip(".!")
        low = reply.lower()
        words = content_words(reply)
        if len(words) > 6 or _REFUSE.match(low) or _HEDGE.search(low) or _UNSURE.search(low):
            return None
        question = next((q for q in reversed(sentences(prev.text)) if q.rstrip().endswith("?")), "")
        picked = _PICK.match(low)
        options = _options(prev.text)
        if picked and options:
            index = _ORDINALS.get(picked.group("which"), 0)
            if not 0 < abs(index) <= len(options):
                return None
            taken = options[index - 1 if index > 0 else index]
            subject = self._subject(question) if question and not _options_in(question) else ""
        elif len(words) <= 2 and not any(_VALUE.search(w) for w in words) and question:
            polar = [c for c in re.split(r"[;:,]\s+", question) if _YES_NO_QUESTION.search(c) or _HOW_ABOUT.match(c)]
            if not polar:
                return None
            taken = polar[-1]
            before = sentences(prev.text)
            if len(content_words(taken)) <= 1 and len(before) > 1:  # "I can move it to Tuesday 14 May. Should I?"
                taken = before[-2]
            if not is_specific(taken):
                return None
            taken = re.sub(r"\s+then$", "", _FRAME.sub("", _HOW_ABOUT.sub("", taken)).rstrip("?. "))
            names = {n.lower() for n in _NAME.findall(taken)}
            said = {w for w in content_words(taken) if _VALUE.search(w) or w in names}
            if said <= heard:
                return None  # a check of what the user said ("… still on 27 March?"), no proposal
            subject = ""
        else:
            return None
        text = reply if content_words(taken) <= words else f"{reply}: {taken}"
        return Item("decision", f"{subject}: {text}" if subject else text, "user", turn.seq, turn.at, 0.75)

    def _user_clauses(
        self, s: str, turn: Utterance, prev: Utterance | None, names: set[str], *, first: bool, alone: bool
    ) -> list[Item]:
        """The sentence's item, or its clauses' items: a durable clause of a sentence that is
        not durable as a whole, or two facts that each give their own values."""
        item = self._user(s, turn, prev, names, first=first, alone=alone)
        if s.startswith("|"):
            return [item] if item else []  # a table row is one record ("—" is an empty cell, no clause break)
        records = _records(s) if ", " in s else []
        if records:
            return [self._user(r, turn, prev, names, first=False, alone=False) or self._fact(r, turn) for r in records]
        clauses = [c.strip(" ,") for c in _CLAUSE.split(s) if c.strip(" ,")]
        if len(clauses) < 2:
            return [item] if item else []
        if item is None:
            found = (self._user(c, turn, prev, names, first=False, alone=False) for c in clauses)
            return [c for c in found if c]
        if all(_VALUE.search(c) and len(content_words(c)) >= 3 for c in clauses):
            parts = [
                self._user(c, turn, prev, names, first=first and k == 0, alone=False) for k, c in enumerate(clauses)
            ]
            if all(parts):
                return parts  # type: ignore[return-value]
        return [item]

    @staticmethod
    def _fact(s: str, turn: Utterance) -> Item:
        return Item("fact", s, turn.role, turn.seq, turn.at, 0.6)

    def _user(
        self, s: str, turn: Utterance, prev: Utterance | None, names: set[str], *, first: bool, alone: bool
    ) -> Item | None:
        said_as = STAMP.sub("", s)  # a pasted message's stamp ("[Callum, 30 Apr] Thanks!") is no content
        low = said_as.lower()
        bare = _LEAD.sub("", low)  # "also, please never …" → "please never …"
        words = content_words(said_as)
        specific = is_specific(said_as) or bool(content_words(low) & names)
        first_person = bool(_FIRST.search(low))
        question = s.rstrip().endswith("?")
        asked = sentences(prev.text)[-1] if prev is not None and sentences(prev.text) else ""
        asked = asked if asked.rstrip().endswith("?") else ""
        # "No, keep them on paper." to "Should I move your receipts to the app?": the answer
        # decides, and the question says what about
        # a clause of the question asks it ("Also, did you decide …?", "…; would you like to do that?")
        polar = any(_YES_NO_QUESTION.search(c) for c in re.split(r"[;:,]\s+", asked))
        reply = _YES_NO.search(s) if first and polar and not specific else None
        said = f"{self._subject(asked)}: {s}" if reply else s

        def make(kind: str, confidence: float, text: str = said) -> Item:
            return Item(kind, text, "user", turn.seq, turn.at, round(min(confidence, 1.0), 2))

        if _KEEP_FOR_ME.search(low) and not _DATED.search(low):
            return None  # "SM notes, keep these for me pls": the request, not what it asks to keep
        verdict = _VERDICT.match(bare)
        if verdict and not question and verdict.group("label") not in STOP:
            return make("decision", 0.8)
        if len(words) < self.min_words and not (specific and prev is not None and first and alone):
            return None
        if not question and _QUESTION_GOES_ON.search(said_as) and len(words) >= 3:
            return make("question", 0.7 + 0.1 * specific)  # "…? no quotes yet": a question the user keeps open
        weighs = question and _WEIGHS.search(low) and not _YOU.search(low)
        if _UNSURE.search(low) or (question and (_DELIBERATE.search(low) or weighs) and not _REQUEST.search(low)):
            return make("question", 0.7 + 0.1 * specific) if len(words) >= 3 else None
        if question:
            return None  # an information request: the answer, not the question, may be durable
        if (
            _REQUEST.search(low)
            and not _SUBJECT.search(low)
            or re.search(r"(?:^|[,;] |\band )(?:please )?send me\b", bare)
        ):
            return None
        hedged = bool(_HEDGE.search(low))
        if _FUTURE.search(low) and first_person and (_WHEN.search(low) or _DELIVER.search(low)):
            return make("commitment", 0.7 + 0.2 * bool(_WHEN.search(low)))
        if low.startswith("remind me "):
            return make("commitment", 0.8)
        if _CHOICE.search(low) and (first_person or specific or low.startswith("plan") or _CHOSE.match(bare)):
            return make("decision", 0.65 + 0.15 * specific + 0.1 * first_person)
        if _EVAL.search(low) and (first_person or _DIRECTIVE.search(bare)):
            return make("preference", 0.75)
        if _DIRECTIVE.search(bare) and len(words) >= 2:
            return make("preference", 0.6)
        if (
            first_person
            and _WHEN.search(low)
            and re.search(r"\b(?:i|we) (?!think|guess|hope)\w+ \w+", low)
            and _DELIVER.search(low)
        ):
            return make("commitment", 0.65)
        if reply and reply["answer"].lower() == "not yet":
            return make("question", 0.7)  # "did you decide …?" "not yet, …": still open
        if reply and len(content_words(reply["rest"])) >= 2 and not hedged:
            return make("decision", 0.6)
        if specific and not hedged:
            if asked and first and alone and len(words) <= 4:
                subject = self._subject(asked)
                if subject:  # a bare answer: the question names its subject
                    return make("fact", 0.7, f"{subject}: {s}")
            # what the user says in reply to "what kind of … do you want?" is a preference
            kind = "preference" if _ASKS_PREFERENCE.search(asked) and not first_person else "fact"
            return make(kind, 0.55 + 0.1 * first_person + 0.05 * min(len(_SPECIFIC.findall(low)), 3))
        if (first_person and len(words) >= 4 or _CHANGED.search(low) and len(words) >= 3) and not hedged:
            return make("fact", 0.45)  # what the user says of themselves, or that something changed
        labelled = LABEL_VALUE.match(bare)
        if (
            labelled
            and not {labelled.group("label"), labelled.group("label").split()[0]} & (STOP | NO_LABEL)
            and len(words) >= 3
            and len(bare.split()) <= 12
            and not hedged
        ):
            return make("fact", 0.5)  # "manager = sister hallam btw": a value given to a label
        tagged = _CAPS_LABEL.match(said_as.strip())
        if tagged and tagged.group("label").lower() not in NO_LABEL and len(content_words(tagged.group("rest"))) >= 3:
            return make("fact", 0.5)  # "ZAIN — firmed durham instead": a record under its label in capitals
        return None

    def _agent(self, s: str, turn: Utterance, nxt: Utterance | None) -> Item | None:
        lowered = s.lower()

        def make(kind: str, confidence: float) -> Item:
            return Item(kind, s, "assistant", turn.seq, turn.at, confidence)

        if s.rstrip().endswith("?"):
            return None
        if (
            re.search(r"\b(?:i'll|i will|will do|i shall|i'm going to)\b", lowered)
            and (_WHEN.search(lowered) or _DELIVER.search(lowered))
            and not re.search(r"\bif\b", lowered)
        ):
            return make("commitment", 0.7 + 0.2 * bool(_WHEN.search(lowered)))
        if (
            _PROPOSAL.search(lowered)
            and nxt is not None
            and _ACCEPT.search(nxt.text.strip().lower())
            and not _HEDGE.search(nxt.text.lower())
        ):
            return make("decision", 0.6)
        return None

    def _residual(
        self,
        s: str,
        turn: Utterance,
        prev: Utterance | None,
        heard: set[str],
        *,
        first: bool,
        accepted: bool,
        member: bool = False,
    ) -> Item | None:
        """A substantive sentence that is no durable item, at :attr:`residual_confidence` (more
        when it names a value). The dialogue decides what is not substantive: a question (its
        answer is what counts), a sentence with no content word, an acknowledgement (all its
        content words repeat the other side's last turn, ``heard``: "Thanks for the table.", but not
        when they name an option of the question it answers, nor when it negates them), and
        a word without a value that answers nothing ("Evening!" before the news, "ever." after a
        rule) unless it is a ``member`` of the user's list ("- sunscreen"). The agent's sentences count when it offers or promises in the first person, or
        when the user's "yes" accepts them."""
        low = s.lower()
        words = content_words(s)
        if s.rstrip().endswith("?") or not words:
            return None
        answers = first and prev is not None and prev.text.rstrip().endswith("?")
        if heard and words <= heard and not _NEGATED.search(low):
            # a repeat acknowledges, unless it picks from the question it answers ("logical not streaming"
            # to "Is it streaming replication or logical?") or from the options it offers ("email digest" to
            # "1. a shared calendar 2. an email digest. Which do you prefer?"), or turns down what was said
            # ("then no Sunday")
            picks = [(sentences(prev.text) or [""])[-1], *_offered(prev.text)] if answers and prev is not None else []
            if not any(words <= content_words(option) for option in picks):
                return None
        valued = bool(_VALUE.search(s) or _NAME.search(s) or _ACRONYM.search(s))
        if len(words) <= 1 and not valued and not answers and not member and not _NEGATED.search(low):
            return None
        if turn.role == "assistant":
            if not (accepted or _OFFER.search(low)):
                return None
            kind = "commitment" if re.search(r"\b(?:i'll|i will)\b", low) else "decision"
        elif _UNSURE.search(low) or _HEDGE.search(low):
            kind = "question"
        elif _EVAL.search(low) or _DIRECTIVE.search(_LEAD.sub("", low)):
            kind = "preference"
        elif _CHOICE.search(low):
            kind = "decision"
        else:
            kind = "fact"
        if answers and prev is not None and len(words) <= 2 and turn.role == "user":
            s = f"{self._subject(prev.text)}: {s}"  # a terse answer carries the question's subject
        return Item(kind, s, turn.role, turn.seq, turn.at, self.residual_confidence + 0.1 * valued)

    @staticmethod
    def _subject(question: str) -> str:
        """The subject of a short question: its content words ("Retention?" → "Retention")."""
        last = sentences(question)[-1] if sentences(question) else question
        words = [
            w
            for w in _WORD.findall(last)
            if w.lower() not in STOP and w.lower() not in ("need", "want", "anything", "else", "any", "there")
        ]
        return " ".join(words[-4:]).strip()

    @staticmethod
    def _stated(said: Sequence[frozenset[str]], weak: Sequence[bool], item: Item) -> Sequence[frozenset[str]]:
        """What ``item`` would repeat: everything said; for a statement only what was stated as a durable
        item, not an open question, which it answers ("we shall run it in three schools" after "not yet
        decided whether … two schools or three"), nor a residual line, which it takes a position on
        ("Okay then no Sunday." after the agent's "… may not open on Sunday")."""
        if item.kind == "question":
            return said
        return [words for words, low in zip(said[-_RECENT:], weak[-_RECENT:], strict=True) if not low]

    @staticmethod
    def _repeats(words: frozenset[str], said: Sequence[frozenset[str]], share: float = 0.7) -> bool:
        if not words:
            return True
        return any(len(words & earlier) >= share * len(words) for earlier in said[-_RECENT:])

    @staticmethod
    def _echoes(words: frozenset[str], said: Sequence[frozenset[str]]) -> bool:
        return any(len(words & earlier) >= 2 for earlier in said[-4:])
