"""Mask secrets before anything is stored: provider API keys, bearer tokens,
private key blocks, passwords in URLs, JWTs, ``password=`` style assignments, secrets in
environment assignments (``PGPASSWORD=…``, ``GITHUB_TOKEN=…``) and on command lines
(``--password …``, ``sshpass -p …``, ``curl -u user:…``).

The JS capture plugin (``plugins/openclaw-capture/src/redact.js``) carries the same
rules in the same order; both are tested against one corpus,
``tests/fixtures/secrets.json``, and against each other. Bump :data:`RULES_VERSION` in
both when a rule changes: captured lines record the version they were redacted with,
and ``clawmemory ingest`` re-redacts lines from any other version.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

MASK = "[REDACTED]"
RULES_VERSION = 2

# Provider tokens: recognisable by shape alone, replaced whole.
_TOKENS: list[tuple[str, str]] = [
    ("anthropic_key", r"\bsk-ant-[A-Za-z0-9\-_]{20,}"),
    ("openai_key", r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9\-_]{20,}"),
    ("github_token", r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,})"),
    ("gitlab_token", r"\bglpat-[A-Za-z0-9\-_]{20,}"),
    ("slack_token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    ("aws_access_key", r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    ("google_api_key", r"\bAIza[0-9A-Za-z\-_]{35}"),
    ("stripe_key", r"\b[rs]k_(?:live|test)_[0-9A-Za-z]{20,}"),
    ("huggingface_token", r"\bhf_[A-Za-z0-9]{30,}"),
    ("npm_token", r"\bnpm_[A-Za-z0-9]{36}\b"),
    ("jwt", r"\beyJ[A-Za-z0-9_-]{8,1000}\.eyJ[A-Za-z0-9_-]{8,20000}\.[A-Za-z0-9_-]{8,}"),  # bounded: linear
]

_VALUE = r"""(?P<value>"[^"\n]{4,}"|'[^'\n]{4,}'|[^\s"',;]{4,})"""
_NOT_MASKED = r"(?![\"']?\[REDACTED\])"
_NOT_TRIVIAL = r"(?!(?:true|false|null|none|yes|no)\b)"  # BYPASS=true, --token none

# A name whose assigned value is a secret (``DB_PASSWORD=…``, ``PGPASSWORD=…``, ``"apiKey": "…"``,
# ``aws_secret_access_key = …``, ``"secretKey": …``): the keyword may follow ``_`` (a password
# word may follow any letters) and carry a ``_``/``-`` joined suffix or ``key`` (but
# ``secretary:`` and ``passwordless:`` are not secrets).
_ASSIGNMENT = (
    r"(?P<pre>(?<![A-Za-z0-9])(?:[A-Za-z0-9]{0,20}?(?:password|passwd|passphrase)|pwd|secret|api[_-]?key"
    r"|access[_-]?token|auth[_-]?token|client[_-]?secret)(?:[_-][A-Za-z0-9_]{0,40}|key)?[\"']?\s*[:=]\s*)"
    + _NOT_MASKED
    + _VALUE
)
# An environment variable (upper case, as in ``export X=…``, ``env X=… cmd``, .env files and
# logs) whose name ends in a secret word: ``GITHUB_TOKEN``, ``MYSQL_PWD``, ``REDISCLI_AUTH``,
# ``AZURE_STORAGE_KEY``; not ``MAX_TOKENS``, ``SORT_KEY`` or ``PWD`` (the working directory).
_ENV = (
    r"(?P<pre>(?<![A-Za-z0-9_])(?:[A-Z0-9]{1,40}_){0,8}(?:[A-Z0-9]{0,20}(?:PASSWORD|PASSWD|PASSPHRASE)|TOKEN|SECRET|PASS"
    r"|AUTH|CREDENTIALS?|(?:API|SECRET|PRIVATE|ACCESS|ACCOUNT|STORAGE|MASTER|ENCRYPTION|SIGNING|AUTH)_?KEY)"
    r"=)" + _NOT_MASKED + _NOT_TRIVIAL + _VALUE
)
_ENV_PWD = r"(?P<pre>(?<![A-Za-z0-9_])(?:[A-Z0-9]{1,40}_){1,8}PWD=)" + _NOT_MASKED + _NOT_TRIVIAL + _VALUE
# Command-line options: ``--password s3cret``, ``--db-password=…``, ``--api-key …``,
# ``sshpass -p …``, ``curl -u user:…`` (not ``--no-password``, ``--token-limit 5``).
_FLAG = (
    r"(?P<pre>(?<![\w-])--(?!no-)(?:[a-z0-9]{1,40}-){0,8}(?:password|passwd|passphrase|pass|token|secret|api-?key"
    r"|auth-token|access-token|client-secret)(?:=|\s+))(?!-)" + _NOT_MASKED + _NOT_TRIVIAL + _VALUE
)
_SSHPASS = r"(?P<pre>\bsshpass\s+-p\s*)" + _NOT_MASKED + _VALUE
_CURL_USER = (
    r"""(?P<pre>\bcurl\b[^\n]{0,200}?\s(?:-u|--user)[\s=]*['"]?[^\s:'"@]+:)(?!\[REDACTED\])(?P<value>[^\s'"@]+)"""
)


def _assignment(match: re.Match[str]) -> str:
    value = match.group("value")
    if value[0] in "\"'":
        return f"{match.group('pre')}{value[0]}{MASK}{value[0]}"
    return match.group("pre") + MASK


_KEEP_PRE = r"\g<pre>" + MASK

# (name, pattern, replacement), applied in this order.
_CONTEXT: list[tuple[str, re.Pattern[str], str]] = [
    (
        "private_key",
        re.compile(
            # (a block ends before the next BEGIN: a text of many BEGINs without END stays linear)
            r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----(?:(?!-----BEGIN ).)*?"
            r"-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----",
            re.S,
        ),
        MASK,
    ),
    # a block cut off before its END line (truncated output): mask to the end of the text
    ("private_key_truncated", re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----.*\Z", re.S), MASK),
    ("url_password", re.compile(r"(?P<pre>\b[a-z][a-z0-9+.\-]{0,30}://[^\s:/@]*:)[^\s@/]+(?=@)", re.I), _KEEP_PRE),
    ("basic_auth", re.compile(r"(?P<pre>\bauthorization\s*[:=]\s*basic\s+)[A-Za-z0-9+/]{8,}=*", re.I), _KEEP_PRE),
    ("bearer", re.compile(r"(?P<pre>\b(?:bearer|token)\s+)[A-Za-z0-9\-._~+/]{16,}=*", re.I), _KEEP_PRE),
]
# (name, pattern) of the rules that keep the name and mask the value, applied in this order.
_ASSIGNMENTS: list[tuple[str, re.Pattern[str]]] = [
    ("env_secret", re.compile(_ENV)),
    ("env_pwd", re.compile(_ENV_PWD)),
    ("cli_secret_flag", re.compile(_FLAG, re.I)),
    ("sshpass", re.compile(_SSHPASS)),
    ("curl_user", re.compile(_CURL_USER)),
    ("assignment", re.compile(_ASSIGNMENT, re.I)),
]
# One scan for all provider tokens (alternatives in the order above), then assignments.
_PASSES: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    *((p, r) for _, p, r in _CONTEXT),
    (re.compile("|".join(f"(?:{p})" for _, p in _TOKENS)), MASK),
    *((p, _assignment) for _, p in _ASSIGNMENTS),
]
_KINDS: list[tuple[str, re.Pattern[str]]] = [
    *((n, p) for n, p, _ in _CONTEXT),
    *((n, re.compile(p)) for n, p in _TOKENS),
    *_ASSIGNMENTS,
]

# Cheap pre-check: every pattern above needs one of these substrings (lower-cased).
_TRIGGERS = (
    "private key",
    "://",
    "bearer",
    "token",
    "sk-",
    "sk_",
    "rk_",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "glpat-",
    "xox",
    "akia",
    "asia",
    "aiza",
    "hf_",
    "npm_",
    "eyj",
    "pass",
    "pwd",
    "secret",
    "api",
    "auth",
    "_key",
    "credential",
    "curl",
)


def redact(text: str) -> str:
    """``text`` with every recognised secret replaced by ``[REDACTED]``."""
    if not text:
        return text
    low = text.lower()
    if not any(t in low for t in _TRIGGERS):
        return text
    for pattern, replacement in _PASSES:
        text = pattern.sub(replacement, text)
    return text


def redact_tree(value: Any) -> Any:
    """``value`` (JSON-like: dicts, lists, strings) with every string redacted."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: redact_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_tree(v) for v in value]
    return value


def find_secrets(text: str) -> list[str]:
    """Names of the secret kinds present in ``text`` (for reports and tests)."""
    return [name for name, pattern in _KINDS if pattern.search(text)]
