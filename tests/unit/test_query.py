import pytest

from clawmemory.errors import InvalidInput
from clawmemory.retrieval.query import parse_query


def test_natural_language_is_any_word():
    q = parse_query("what editor theme does the user prefer")
    assert q.match() == '{terms context} : ("editor" OR "theme" OR "user" OR "prefer")'


def test_phrase_required_and_excluded():
    q = parse_query('"dark mode" +editor -vim')
    assert q.required == [["editor"]]
    assert q.optional == [["dark", "mode"]]
    assert q.excluded == [["vim"]]
    assert q.match() == '{terms context} : (("editor" AND ("dark mode" OR "editor")) NOT ("vim"))'


def test_required_phrase():
    q = parse_query('+"fly io" deploy')
    assert q.required == [["fli", "io"]]


@pytest.mark.parametrize("bad", ["", "   ", '"unbalanced', "-only -excluded"])
def test_bad_queries_name_the_field(bad):
    with pytest.raises(InvalidInput) as info:
        parse_query(bad)
    assert info.value.field == "query"


def test_too_long_query_is_refused():
    with pytest.raises(InvalidInput, match="limit"):
        parse_query("word " * 2000, max_chars=4000)


def test_stopword_only_query_matches_nothing():
    assert parse_query("who am I").match() is None


def test_fts_keywords_are_quoted():
    assert '"and"' not in parse_query("NEAR OR AND NOT").match()  # stopwords gone, near quoted
    assert '"near"' in parse_query("NEAR OR AND NOT").match()
