"""``clawmemory daemon install|uninstall|status``: the systemd user unit and the launchd agent
rendered for both platforms, checked by ``systemd-analyze verify`` where it exists, written
and removed under a temporary home."""

from __future__ import annotations

import json
import os
import plistlib
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from clawmemory.cli.main import main
from clawmemory.service.units import render, serve_command, systemd_quote


@pytest.fixture()
def user_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "user"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "xdg"))
    return home


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_systemd_words_are_quoted_and_escaped():
    assert systemd_quote("/usr/bin/python3") == "/usr/bin/python3"
    assert systemd_quote("/data/my memory") == '"/data/my memory"'
    assert systemd_quote('/a "b"\\c') == '"/a \\"b\\"\\\\c"'
    assert systemd_quote("/data/100%$HOME") == '"/data/100%%$$HOME"'


def test_systemd_unit(user_home: Path, tmp_path: Path):
    data = tmp_path / "data dir %1"
    unit = render("linux", data, 7500)
    assert unit.path == user_home / "xdg" / "systemd" / "user" / "clawmemory.service"
    exec_start = next(line for line in unit.text.splitlines() if line.startswith("ExecStart="))
    assert (
        exec_start == f'ExecStart={sys.executable} -m clawmemory serve --data-dir "{tmp_path}/data dir %%1" --port 7500'
    )
    for line in ("Restart=on-failure", "UMask=0077", "WantedBy=default.target", "Type=exec"):
        assert line in unit.text.splitlines()


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_systemd_analyze_verifies_the_unit(user_home: Path, tmp_path: Path):
    unit = render("linux", tmp_path / "data dir", None)
    path = tmp_path / "clawmemory.service"
    path.write_text(unit.text)
    p = subprocess.run(["systemd-analyze", "verify", str(path)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert str(path) not in p.stderr, p.stderr  # no warning about any line of it
    broken = tmp_path / "broken" / "clawmemory.service"  # the check can fail: a typo is reported
    broken.parent.mkdir()
    broken.write_text(unit.text.replace("Restart=on-failure", "Restart=sometimes"))
    p = subprocess.run(["systemd-analyze", "verify", str(broken)], capture_output=True, text=True, timeout=60)
    assert "Restart" in p.stderr or "restart" in p.stderr


def test_launchd_plist(user_home: Path, tmp_path: Path):
    data = tmp_path / "data"
    unit = render("macos", data, None)
    assert unit.path == user_home / "Library" / "LaunchAgents" / "clawmemory.daemon.plist"
    plist = plistlib.loads(unit.text.encode())
    assert plist["Label"] == "clawmemory.daemon"
    assert (
        plist["ProgramArguments"]
        == serve_command(data)
        == [sys.executable, "-m", "clawmemory", "serve", "--data-dir", str(data)]
    )
    assert plist["RunAtLoad"] is True and plist["KeepAlive"] == {"SuccessfulExit": False}
    assert plist["Umask"] == 0o077 and plist["StandardErrorPath"] == str(data / "daemon.log")
    if shutil.which("plutil"):
        assert subprocess.run(["plutil", "-lint", "-"], input=unit.text, text=True).returncode == 0


@pytest.mark.parametrize("platform", ["linux", "macos"])
def test_dry_run_prints_the_unit_and_changes_nothing(user_home: Path, tmp_path: Path, capsys, platform: str):
    data = tmp_path / "data"
    code, out, _ = run(capsys, "daemon", "install", "--dry-run", "--platform", platform, "-d", str(data), "--json")
    shown = json.loads(out)
    assert code == 0 and shown["text"] == render(platform, data, None).text
    manager = {"linux": "systemctl", "macos": "launchctl"}[platform]
    assert shown["commands"] and all(c[0] == manager for c in shown["commands"])
    assert not Path(shown["path"]).exists() and not data.exists()
    code, out, _ = run(capsys, "daemon", "install", "--dry-run", "--platform", platform, "-d", str(data))
    assert out.startswith(f"# would write {shown['path']}\n") and shown["text"] in out


def test_install_status_uninstall_files_only(user_home: Path, tmp_path: Path, capsys):
    data = tmp_path / "data"
    args = ("-d", str(data), "--platform", "linux", "--port", "1")  # port 1: nothing answers there
    code, out, _ = run(capsys, "daemon", "install", "--files-only", *args)
    path = user_home / "xdg" / "systemd" / "user" / "clawmemory.service"
    assert code == 0 and out.startswith(f"wrote {path}") and path.read_text() == render("linux", data, 1).text
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    code, out, _ = run(capsys, "daemon", "status", "--json", *args)
    info = json.loads(out)
    assert info["installed"] and info["current"] and info["health"]["ok"] is False
    code, out, _ = run(capsys, "daemon", "status", "-d", str(data), "--platform", "linux", "--port", "2", "--json")
    assert json.loads(out)["current"] is False  # another port: the installed file is not what would be written
    code, out, _ = run(capsys, "daemon", "uninstall", "--files-only", *args)
    assert code == 0 and out.strip() == f"removed {path}" and not path.exists()
    code, out, _ = run(capsys, "daemon", "uninstall", "--files-only", *args)
    assert out.strip() == f"nothing installed at {path}"


def _user_manager_reachable() -> bool:
    if shutil.which("systemctl") is None:
        return False
    p = subprocess.run(["systemctl", "--user", "show-environment"], capture_output=True, text=True, timeout=30)
    return p.returncode == 0


@pytest.mark.skipif(
    sys.platform == "darwin" or _user_manager_reachable(),
    reason="a real user service manager is reachable here; install would start a service",
)
def test_install_without_a_user_manager_is_one_readable_line(user_home: Path, tmp_path: Path, capsys):
    code, out, err = run(capsys, "daemon", "install", "-d", str(tmp_path / "data"), "--platform", "linux")
    path = user_home / "xdg" / "systemd" / "user" / "clawmemory.service"
    assert code == 2 and path.exists() and len(err.strip().splitlines()) == 1
    assert (
        err.startswith(f"error: wrote {path}, but `systemctl --user daemon-reload` failed")
        or "systemctl not found" in err
    )
    assert "--files-only" in err


def test_bad_platform_is_exit_2(user_home: Path, capsys):
    code, _, err = run(capsys, "daemon", "install", "--dry-run", "--platform", "windows")
    assert code == 2 and err == "error: --platform must be one of linux, macos\n"


def test_python_path_is_this_interpreter_unresolved():
    assert serve_command(Path("/d"))[0] == sys.executable and os.path.isabs(sys.executable)
