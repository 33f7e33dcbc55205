"""What the daemon and the sidecar need to serve on a socket: the loopback rule, a listening
socket and the bearer-token file (created 0600 on first start)."""

from __future__ import annotations

import ipaddress
import os
import secrets
import socket
from pathlib import Path

from .errors import InvalidInput


def is_loopback(host: str) -> bool:
    """Whether ``host`` is ``localhost`` or a loopback address."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (port 0 picks a free one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP: asyncio then sets TCP_NODELAY on accepted connections (with proto 0 it
    # does not, and Nagle + delayed ACK add ~40 ms to every small response)
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise InvalidInput(f"cannot bind {host}:{port}: {exc.strerror}", field="port") from exc
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def check_bind(host: str, allow_remote: bool) -> None:
    """Refuse a non-loopback address unless ``allow_remote`` (``--allow-remote``)."""
    if not is_loopback(host) and not allow_remote:
        raise InvalidInput(f"refusing to bind non-loopback address {host}; pass --allow-remote to do so", field="host")


def listening_url(sock: socket.socket) -> str:
    """``http://host:port`` of a bound socket (IPv6 hosts in brackets)."""
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def ensure_token(path: Path) -> str:
    """Read the token at ``path``, creating it (mode 0600) when absent."""
    if path.exists():
        token = path.read_text(encoding="utf-8").strip()
        if token:
            if os.stat(path).st_mode & 0o077:  # loosened by hand or a copy: make it private again
                os.chmod(path, 0o600)
            return token
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(token + "\n")
    os.chmod(path, 0o600)
    return token
