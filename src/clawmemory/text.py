"""Text analysis shared by indexing and querying.

One analyzer for both sides, so the FTS index and the queries always agree:
Unicode NFKC, case folding, accents stripped, code identifiers split
(``getUserName`` → ``get user name`` plus the whole identifier), CJK runs as
character bigrams, English stopwords dropped, Snowball stemming.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from itertools import chain

import Stemmer

_STEMMER = Stemmer.Stemmer("english")

# Letters and digits (no underscore), with internal apostrophes (don't, o'clock): a token.
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_PART = re.compile(r"[^\W_]+")
_CONTRACTION = re.compile(r"(?:'s|n't|'ve|'ll|'re|'d|'m)$", re.IGNORECASE)
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})
# An identifier-ish run: words joined by _ - . (snake_case, kebab-case, dotted.names).
# Starts only at the start of a word run and never gives a run back (possessive): the same
# matches as r"[^\W_]+(?:[_\-.][^\W_]+)+", without its quadratic retries inside every word.
_COMPOUND = re.compile(r"(?<![^\W_])[^\W_]++(?:[_\-.][^\W_]+)+")
# Every compound holds a separator followed by a word character, and no whitespace: only
# the whitespace-delimited runs around such a separator need the (slow) compound scan.
_SEP = re.compile(r"[_\-.][^\W_]")
_SPACE = re.compile(r"\s")
# camelCase / PascalCase / acronym boundaries.
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]+")

STOPWORDS = frozenset(
    """
    a about above after again against all am an and any are aren't as at be because been before
    being below between both but by can can't cannot could couldn't did didn't do does doesn't
    doing don't down during each few for from further had hadn't has hasn't have haven't having
    he he'd he'll he's her here here's hers herself him himself his how how's i i'd i'll i'm i've
    if in into is isn't it it's its itself let's me more most mustn't my myself no nor not of off
    on once only or other ought our ours ourselves out over own same shan't she she'd she'll
    she's should shouldn't so some such than that that's the their theirs them themselves then
    there there's these they they'd they'll they're they've this those through to too under
    until up very was wasn't we we'd we'll we're we've were weren't what what's when when's where
    where's which while who who's whom why why's with won't would wouldn't you you'd you'll
    you're you've your yours yourself yourselves s t d ll m re ve
    """.split()
)


def fold(text: str) -> str:
    """NFKC-normalise, strip combining accents (é → e) and case-fold."""
    text = unicodedata.normalize("NFKC", text)
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped).casefold()


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Snowball (Porter2) English stem of one folded word; CJK and digits pass through."""
    if not word.isascii() or word.isdigit():
        return word
    return _STEMMER.stemWord(word)


def _compounds(text: str) -> list[str]:
    """``_COMPOUND.findall(text)``, scanning only the runs between whitespace that hold a
    separator (2.6 µs instead of 5 on a typical tool summary, which opens with ``web_fetch:``)."""
    out: list[str] = []
    end = 0
    for sep in _SEP.finditer(text):
        start = sep.start()
        if start < end:
            continue
        while start > 0 and not text[start - 1].isspace():
            start -= 1
        space = _SPACE.search(text, sep.end())
        end = space.start() if space else len(text)
        out.extend(_COMPOUND.findall(text[start:end]))
    return out


def _cjk_grams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


@lru_cache(maxsize=262144)
def _split_word(word: str) -> tuple[str, ...]:
    """A raw word (original case) → folded parts, CJK runs as bigrams (cached: vocabularies are small)."""
    if word.isascii():
        if word.islower() or word.isdigit():
            return (word,)
        if word.isupper() or word.istitle():
            return (word.lower(),)
    if _CJK.search(word):
        out: list[str] = []
        pos = 0
        for match in _CJK.finditer(word):
            out.extend(_split_word(word[pos : match.start()]) if match.start() > pos else ())
            out.extend(_cjk_grams(match.group()))
            pos = match.end()
        if pos < len(word):
            out.extend(_split_word(word[pos:]))
        return tuple(out)
    mixed = word.isascii() and not word.islower() and not word.isupper()
    parts = _CAMEL.findall(word) if mixed else [word]
    folded = [fold(p) for p in parts if p]
    if len(folded) > 1:
        folded.insert(0, fold(word))  # keep the whole identifier too
    return tuple(folded)


def words(text: str, *, keep_stopwords: bool = False) -> list[str]:
    """Folded, unstemmed words of ``text`` in order (identifiers expanded)."""
    out: list[str] = []
    if "\u2019" in text or "\u2018" in text or "`" in text or "\u02bc" in text:
        text = text.translate(_APOSTROPHES)
    for compound in _compounds(text):
        joined = "".join(_PART.findall(compound))
        if joined and not _CJK.search(joined):
            out.extend(_split_word(joined)[:1])  # snake_case_name → snakecasename as one extra term
    for raw in _WORD.findall(text):
        if "'" in raw:
            if raw.lower() in STOPWORDS:  # don't, I'm, she's: a stopword as a whole
                continue
            raw = _CONTRACTION.sub("", raw).replace("'", "")  # Melanie's → Melanie, kids've → kids
        out.extend(_split_word(raw))
    if keep_stopwords:
        return out
    return [w for w in out if w not in STOPWORDS]


@lru_cache(maxsize=131072)
def _word_terms(raw: str) -> tuple[str, ...]:
    """One raw word of ``words`` → its final terms (contraction handled, parts split,
    stopwords dropped, stemmed): ``terms`` pays one cache lookup per word it has seen before."""
    if "'" in raw:
        if raw.lower() in STOPWORDS:
            return ()
        raw = _CONTRACTION.sub("", raw).replace("'", "")
    return tuple([stem(w) for w in _split_word(raw) if w not in STOPWORDS])


@lru_cache(maxsize=16384)
def _compound_terms(compound: str) -> tuple[str, ...]:
    """One compound of ``words`` (snake_case, dotted.name) → its extra joined term, stemmed."""
    joined = "".join(_PART.findall(compound))
    if not joined or _CJK.search(joined):
        return ()
    return tuple([stem(w) for w in _split_word(joined)[:1] if w not in STOPWORDS])


def terms(text: str) -> list[str]:
    """Index/query terms: folded words without stopwords, stemmed.

    The same as ``[stem(w) for w in words(text)]`` (stopword filtering and stemming act on
    each word alone, so they can be done once per distinct word and cached)."""
    if "\u2019" in text or "\u2018" in text or "`" in text or "\u02bc" in text:
        text = text.translate(_APOSTROPHES)
    out: list[str] = []
    out.extend(chain.from_iterable(map(_compound_terms, _compounds(text))))
    out.extend(chain.from_iterable(map(_word_terms, _WORD.findall(text))))
    return out


def index_terms(text: str) -> str:
    """Space-joined terms, the form stored in the FTS5 column."""
    return " ".join(terms(text))
