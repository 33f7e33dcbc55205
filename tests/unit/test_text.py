from hypothesis import given, settings
from hypothesis import strategies as st

from clawmemory.text import _COMPOUND, _compounds, fold, index_terms, terms, words


def test_fold_strips_accents_and_case():
    assert fold("Café RÉSUMÉ Über") == "cafe resume uber"


def test_stopwords_dropped_and_stemmed():
    assert terms("The users were running quickly") == ["user", "run", "quick"]


def test_code_identifiers_are_split_and_kept_whole():
    got = terms("call getUserName and parse_json_data")
    assert {"getusernam", "get", "user", "name"} <= set(got)
    assert {"parsejsondata", "pars", "json", "data"} <= set(got)


def test_cjk_runs_become_bigrams():
    assert words("東京タワー") == ["東京", "京タ", "タワ", "ワー"]
    assert words("猫") == ["猫"]


def test_mixed_scripts_and_digits():
    got = terms("Meeting at 2024 in München 会議")
    assert "2024" in got and "munchen" in got and "会議" in got


def test_index_terms_is_space_joined():
    assert index_terms("Dark mode preferred") == "dark mode prefer"


def test_contractions_and_possessives():
    assert terms("I don't think Melanie's kids've seen it") == ["think", "melani", "kid", "seen"]
    assert terms("she’s here") == []  # curly apostrophe, whole contraction is a stopword


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet="ab_-.' \t\n\u00a0\u2003é日1", max_size=24))
def test_compound_scan_finds_what_the_full_regex_finds(text: str) -> None:
    assert _compounds(text) == _COMPOUND.findall(text)


def test_compounds_inside_prose_and_around_punctuation() -> None:
    text = "web_fetch: see a/b_c (x.y.z), kebab-case… and don't_go"
    assert _compounds(text) == _COMPOUND.findall(text) == ["web_fetch", "b_c", "x.y.z", "kebab-case", "t_go"]
