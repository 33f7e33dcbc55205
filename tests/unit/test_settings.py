import pytest

from clawmemory.errors import InvalidInput
from clawmemory.settings import load_settings


def test_defaults(home):
    s = load_settings()
    assert s.home == home.resolve() and s.host == "127.0.0.1" and s.port == 7411


def test_precedence_file_env_flag(home, monkeypatch):
    home.mkdir(parents=True)
    (home / "config.toml").write_text("port = 9000\nsearch_limit = 7\n")
    assert load_settings().port == 9000
    monkeypatch.setenv("CLAWMEMORY_PORT", "9100")
    s = load_settings()
    assert s.port == 9100 and s.search_limit == 7
    assert load_settings(port=9200).port == 9200
    assert load_settings(port=None).port == 9100  # unset flags do not override


def test_explicit_data_dir_beats_env(home, tmp_path):
    other = tmp_path / "other"
    assert load_settings(other).home == other.resolve()


def test_bad_config_is_a_clear_error(home):
    home.mkdir(parents=True)
    (home / "config.toml").write_text("nonsense = 1\n")
    with pytest.raises(InvalidInput, match="nonsense"):
        load_settings()
    (home / "config.toml").write_text("port = 'abc'\n")
    with pytest.raises(InvalidInput, match="port"):
        load_settings()
    (home / "config.toml").write_text("port = [\n")
    with pytest.raises(InvalidInput, match="config.toml"):
        load_settings()
