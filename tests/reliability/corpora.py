"""Deterministic corpora for the security tests: fake secrets shaped like real ones (each
with the part that must never be stored) and ordinary sentences, each in a ``dev`` split
(for developing rules) and a ``test`` split (reported, never tuned on)."""

from __future__ import annotations

import base64
import json
import random
import string
from collections.abc import Callable
from dataclasses import dataclass

ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"
SEEDS = {"dev": 1701, "test": 4242}


@dataclass(frozen=True)
class Secret:
    kind: str
    text: str  # the secret inside a sentence
    core: str  # what must not survive redaction


def _s(rng: random.Random, n: int, alphabet: str = ALNUM) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _jwt(rng: random.Random) -> str:
    head = _b64url(json.dumps({"alg": rng.choice(["HS256", "RS256", "ES256"]), "typ": "JWT"}).encode())
    body = _b64url(
        json.dumps(
            {
                "sub": _s(rng, 10),
                "iat": rng.randrange(1_600_000_000, 1_800_000_000),
                "name": rng.choice(["ada", "linus", "grace"]),
            }
        ).encode()
    )
    return f"{head}.{body}.{_s(rng, 43, URLSAFE)}"


def _pem(rng: random.Random) -> str:
    label = rng.choice(
        ["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY", "ENCRYPTED PRIVATE KEY"]
    )
    lines = [_s(rng, 64, ALNUM + "+/") for _ in range(rng.randrange(3, 8))]
    return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----"


def _password(rng: random.Random) -> str:
    return _s(rng, rng.randrange(8, 20), ALNUM + "!#$%^*_-+=~")


# Environment variables that carry secrets in commands, .env files and logs (issue #18).
ENV_NAMES = [
    "PGPASSWORD",
    "MYSQL_PWD",
    "MYSQL_ROOT_PASSWORD",
    "AWS_SECRET_ACCESS_KEY",
    "GITHUB_TOKEN",
    "GITLAB_TOKEN",
    "VAULT_TOKEN",
    "NPM_TOKEN",
    "SLACK_BOT_TOKEN",
    "DB_PASS",
    "SMTP_PASS",
    "REDISCLI_AUTH",
    "AZURE_STORAGE_KEY",
    "AZURE_CLIENT_SECRET",
    "DJANGO_SECRET_KEY",
    "JWT_SECRET",
    "GPG_PASSPHRASE",
    "RABBITMQ_DEFAULT_PASS",
    "DOCKER_PASSWORD",
    "CLOUDFLARE_API_TOKEN",
    "SENDGRID_API_KEY",
    "TWILIO_AUTH_TOKEN",
    "MONGO_INITDB_ROOT_PASSWORD",
    "ENCRYPTION_KEY",
]


def _opaque(rng: random.Random, lo: int = 10, hi: int = 40) -> str:
    """A secret value that starts with a letter or digit (a leading '-' would read as an option)."""
    return rng.choice(ALNUM) + _s(rng, rng.randrange(lo, hi), ALNUM + "!#%^*_-+=~/.")


def _env_secret(rng: random.Random) -> tuple[str, str]:
    value = _opaque(rng)
    shown = f'"{value}"' if rng.random() < 0.25 else value
    return f"{rng.choice(['', 'export ', 'env '])}{rng.choice(ENV_NAMES)}={shown}", value


def _cli_secret(rng: random.Random) -> tuple[str, str]:
    value = _opaque(rng, 8, 30)
    form = rng.choice(
        [
            "pg_dump --password {} --host db",
            "mysql --user=root --password={}",
            "vault login --token {}",
            "wrangler deploy --api-key {}",
            "az login --client-secret {} --tenant t1",
            "registry login --registry-token={}",
            "sshpass -p {} ssh deploy@web1",
            "curl -u admin:{} https://api.internal/health",
        ]
    )
    return form.format(value), value


# kind → (secret value, core) from a rng; the sentence template places the value.
KINDS: dict[str, Callable[[random.Random], tuple[str, str]]] = {
    "openai": lambda r: (v := "sk-" + _s(r, 48), v),
    "openai_project": lambda r: (v := "sk-proj-" + _s(r, 64, URLSAFE), v),
    "anthropic": lambda r: (v := "sk-ant-api03-" + _s(r, 86, URLSAFE) + "AA", v),
    "github_classic": lambda r: (v := r.choice(["ghp_", "gho_", "ghs_", "ghu_"]) + _s(r, 36), v),
    "github_fine_grained": lambda r: (v := "github_pat_" + _s(r, 22) + "_" + _s(r, 59), v),
    "gitlab": lambda r: (v := "glpat-" + _s(r, 20, URLSAFE), v),
    "slack": lambda r: (
        v := f"xox{r.choice('bpa')}-{r.randrange(10**11, 10**12)}-{r.randrange(10**11, 10**12)}-" + _s(r, 24),
        v,
    ),
    "aws_access_key": lambda r: (
        v := r.choice(["AKIA", "ASIA"]) + _s(r, 16, string.ascii_uppercase + string.digits),
        v,
    ),
    "google_api_key": lambda r: (v := "AIza" + _s(r, 35, URLSAFE), v),
    "stripe": lambda r: (v := r.choice(["sk_live_", "rk_live_", "sk_test_"]) + _s(r, 24), v),
    "huggingface": lambda r: (v := "hf_" + _s(r, 34), v),
    "npm": lambda r: (v := "npm_" + _s(r, 36), v),
    "jwt": lambda r: (v := _jwt(r), v),
    "private_key": lambda r: (v := _pem(r), v.split("\n")[1]),
    "url_password": lambda r: (
        f"{r.choice(['postgres', 'postgresql', 'mysql', 'redis', 'amqp', 'mongodb+srv', 'https'])}://"
        f"{r.choice(['admin', 'app', 'svc_user', 'deploy'])}:{(p := _password(r))}@"
        f"{r.choice(['db', 'cache', 'mq', 'api'])}.{r.choice(['internal', 'example.com', 'local'])}:5432/main",
        p,
    ),
    "bearer": lambda r: (f"Authorization: Bearer {(t := _s(r, r.randrange(24, 60), URLSAFE + '.'))}", t),
    "basic_auth": lambda r: (
        f"Authorization: Basic {(t := base64.b64encode(f'u{_s(r, 5)}:{_password(r)}'.encode()).decode())}",
        t,
    ),
    "password_assignment": lambda r: (
        f"{r.choice(['DB_PASSWORD', 'password', 'PGPASSWORD', 'smtp_pass' + 'word', 'ADMIN_PWD'])}"
        f"={(p := _password(r))}",
        p,
    ),
    "json_secret": lambda r: (
        f'"{r.choice(["apiKey", "api_key", "client_secret", "secretKey", "auth_token", "accessToken"])}"'
        f': "{(p := _s(r, r.randrange(16, 40), URLSAFE))}"',
        p,
    ),
    "aws_secret": lambda r: (f"aws_secret_access_key = {(p := _s(r, 40, ALNUM + '/+'))}", p),
    "env_secret": lambda r: _env_secret(r),
    "cli_secret": lambda r: _cli_secret(r),
}
TEMPLATES = {
    "dev": [
        "my key is {}",
        "export VALUE={}",
        "use {} for the staging box",
        "config: {}",
        "{}",
        "I pasted {} into the chat by mistake",
        "token for CI -> {}",
        "here you go: {} (rotate later)",
    ],
    "test": [
        "the credential we use in prod is {}",
        "curl -H 'x' {} https://api.example.com",
        "- {}",
        "Saved to .env: {}",
        "note to self {} do not share",
        "{} was leaked in the logs yesterday",
        "ping me if {} stops working",
        "the deploy script reads {} at start",
    ],
}


def secrets(split: str, per_kind: int = 11) -> list[Secret]:
    """``per_kind`` secrets of every kind, each inside one of the split's sentences."""
    rng = random.Random(SEEDS[split])
    out = []
    for kind, make in KINDS.items():
        for _ in range(per_kind):
            value, core = make(rng)
            out.append(Secret(kind, rng.choice(TEMPLATES[split]).format(value), core))
    return out


SUBJECTS = [
    "The team",
    "Our client",
    "My sister",
    "The new intern",
    "Grandpa",
    "The API gateway",
    "Alice",
    "The database",
    "Support",
    "The release manager",
    "Bob",
    "The build",
    "This recipe",
    "The garden",
]
VERBS = [
    "moved",
    "rescheduled",
    "reviewed",
    "fixed",
    "ordered",
    "planned",
    "cancelled",
    "deployed",
    "tested",
    "measured",
    "documented",
    "painted",
    "booked",
    "rotated",
    "archived",
    "refactored",
]
OBJECTS = [
    "the meeting to Tuesday at 10:30",
    "the token limit of the model",
    "a password manager for the family",
    "the secret santa list",
    "the API documentation",
    "the auth flow for the mobile app",
    "our bearer of bad news",
    "the sk-8 skating lessons",
    "the risk-based review",
    "the task-runner config",
    "tickets to Lisbon",
    "the staging region ams",
    "a birthday cake",
    "version 2.4.1 of the app",
    "the https://example.com/docs page",
    "mail for bob@example.com",
    "the Docker image python:3.12-slim",
    "the key results for Q3",
    "the PR #1284 about caching",
    "the invoice INV-2026-0042",
    "the path /usr/local/bin/node",
    "the commit 9f8e7d6c5b4a",
    "the UUID 123e4567-e89b-12d3-a456-426614174000",
    "the secretary's calendar",
    "passwords policy slides",
    "the token bucket rate limiter",
    "the api_version field",
    "a hash of sha256:ab12cd34",
    "the 'pwd' command in the tutorial",
    "the apiary behind the barn",
    "authentication logs from March",
    "the authority's letter",
]
TAILS = [
    "",
    " yesterday.",
    " before lunch.",
    " again, sadly.",
    " for the third time.",
    " without telling anyone.",
    " and it worked.",
    " — see the notes.",
    " (ticket 4471).",
    " at 08:00 UTC.",
    " on 2026-11-20.",
]


def ordinary(split: str, n: int = 10_000) -> list[str]:
    """``n`` ordinary sentences, many with words that look secret-ish but are not secrets."""
    rng = random.Random(SEEDS[split] + 1)
    return [f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}{rng.choice(TAILS)}" for _ in range(n)]
