import pytest

from clawmemory.redaction import MASK, find_secrets, redact

SECRETS = [
    "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD",
    "sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789",
    "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
    "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN",
    "glpat-abcdefghij1234567890",
    "xoxb-1234567890-abcdefghijkl",
    "AKIAIOSFODNN7EXAMPLE",
    "AIzaSyA1234567890abcdefghijklmnopqrstuv",
    "sk_live_abcdefghijklmnopqrstuvwx",
    "hf_abcdefghijklmnopqrstuvwxyz0123456789",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
]


@pytest.mark.parametrize("secret", SECRETS)
def test_provider_keys_are_masked(secret):
    out = redact(f"my key is {secret} ok")
    assert secret not in out and MASK in out and out.startswith("my key is")


def test_bearer_token_masked():
    out = redact("curl -H 'Authorization: Bearer abcDEF1234567890xyzXYZ.-_'")
    assert "abcDEF1234567890" not in out and "Bearer [REDACTED]" in out


def test_private_key_block_masked():
    block = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\nabc\n-----END RSA PRIVATE KEY-----"
    assert redact(f"key:\n{block}\nend") == f"key:\n{MASK}\nend"


def test_password_in_url_masked():
    out = redact("db at postgres://admin:hunter2secret@db.internal:5432/app")
    assert "hunter2secret" not in out
    assert "postgres://admin:[REDACTED]@db.internal:5432/app" in out


def test_password_assignment_masked():
    assert "s3cretpw" not in redact('password = "s3cretpw"')
    assert "abc123xyz" not in redact("API_KEY=abc123xyz")


@pytest.mark.parametrize(
    "text",
    [
        "The user prefers dark mode and deploys to Fly.io",
        "skip the task: sk is short",
        "see https://example.com/path?x=1 for details",
        "The password policy requires 12 characters",
        "def get_token(self): return self._token",
    ],
)
def test_ordinary_text_untouched(text):
    assert redact(text) == text
    assert find_secrets(text) == []
