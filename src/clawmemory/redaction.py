"""Mask secrets before anything is stored: provider API keys, bearer tokens,
private key blocks, passwords in URLs, JWTs and ``password=`` style assignments."""

from __future__ import annotations

import re

MASK = "[REDACTED]"

_PATTERNS: list[tuple[str, re.Pattern[str], str]] = [
    ("private_key", re.compile(
        r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----.*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----",
        re.S), MASK),
    ("url_password", re.compile(r"(?P<pre>\b[a-z][a-z0-9+.\-]*://[^\s:/@]+:)[^\s@/]+(?=@)", re.I), r"\g<pre>" + MASK),
    ("bearer", re.compile(r"(?P<pre>\b(?:bearer|token)\s+)[A-Za-z0-9\-._~+/]{16,}=*", re.I), r"\g<pre>" + MASK),
    ("anthropic_key", re.compile(r"\bsk-ant-[A-Za-z0-9\-_]{20,}"), MASK),
    ("openai_key", re.compile(r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9\-_]{20,}"), MASK),
    ("github_token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,})"), MASK),
    ("gitlab_token", re.compile(r"\bglpat-[A-Za-z0-9\-_]{20,}"), MASK),
    ("slack_token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"), MASK),
    ("aws_access_key", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), MASK),
    ("google_api_key", re.compile(r"\bAIza[0-9A-Za-z\-_]{35}"), MASK),
    ("stripe_key", re.compile(r"\b[rs]k_(?:live|test)_[0-9A-Za-z]{20,}"), MASK),
    ("huggingface_token", re.compile(r"\bhf_[A-Za-z0-9]{30,}"), MASK),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"), MASK),
    ("assignment", re.compile(
        r"(?P<pre>\b(?:password|passwd|pwd|secret|api[_-]?key|access[_-]?token|auth[_-]?token|client[_-]?secret)"
        r"\"?\s*[:=]\s*\"?)(?!\[REDACTED\])[^\s\"',;]{4,}", re.I), r"\g<pre>" + MASK),
]


# Cheap pre-check: every pattern above needs one of these substrings (lower-cased).
_TRIGGERS = ("private key", "://", "bearer", "token", "sk-", "sk_", "rk_", "ghp_", "gho_", "ghu_", "ghs_",
             "ghr_", "github_pat_", "glpat-", "xox", "akia", "asia", "aiza", "hf_", "eyj", "password",
             "passwd", "pwd", "secret", "api", "auth")


def redact(text: str) -> str:
    """``text`` with every recognised secret replaced by ``[REDACTED]``."""
    if not text:
        return text
    low = text.lower()
    if not any(t in low for t in _TRIGGERS):
        return text
    for _name, pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def find_secrets(text: str) -> list[str]:
    """Names of the secret kinds present in ``text`` (for reports and tests)."""
    return [name for name, pattern, _ in _PATTERNS if pattern.search(text)]
