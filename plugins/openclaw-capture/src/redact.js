// Secret redaction: the same rules, in the same order, as clawmemory's Python redactor
// (src/clawmemory/redaction.py). Both are tested against tests/fixtures/secrets.json and
// against each other. Provider API keys, bearer/basic tokens, private key blocks (also
// cut-off ones), passwords in URLs, JWTs and `password=`-style assignments become
// "[REDACTED]". Bump RULES_VERSION in both files when a rule changes.

export const MASK = "[REDACTED]";
export const RULES_VERSION = 1;

// Provider tokens: recognisable by shape alone, replaced whole.
const TOKENS = [
  ["anthropic_key", String.raw`\bsk-ant-[A-Za-z0-9\-_]{20,}`],
  ["openai_key", String.raw`\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9\-_]{20,}`],
  ["github_token", String.raw`\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,})`],
  ["gitlab_token", String.raw`\bglpat-[A-Za-z0-9\-_]{20,}`],
  ["slack_token", String.raw`\bxox[abposr]-[A-Za-z0-9-]{10,}`],
  ["aws_access_key", String.raw`\b(?:AKIA|ASIA)[0-9A-Z]{16}\b`],
  ["google_api_key", String.raw`\bAIza[0-9A-Za-z\-_]{35}`],
  ["stripe_key", String.raw`\b[rs]k_(?:live|test)_[0-9A-Za-z]{20,}`],
  ["huggingface_token", String.raw`\bhf_[A-Za-z0-9]{30,}`],
  ["npm_token", String.raw`\bnpm_[A-Za-z0-9]{36}\b`],
  ["jwt", String.raw`\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}`],
];

// A name whose assigned value is a secret (DB_PASSWORD=…, "apiKey": "…",
// aws_secret_access_key = …, "secretKey": …): the keyword may follow "_" and carry a "_"/"-"
// joined suffix or "key" (but "secretary:" is not a secret).
const ASSIGNMENT =
  String.raw`(?<pre>(?<![A-Za-z0-9])(?:password|passwd|pwd|secret|api[_-]?key|access[_-]?token|auth[_-]?token` +
  String.raw`|client[_-]?secret)(?:[_-][A-Za-z0-9_]*|key)?["']?\s*[:=]\s*)(?!"?\[REDACTED\])` +
  String.raw`(?<value>"[^"\n]{4,}"|'[^'\n]{4,}'|[^\s"',;]{4,})`;

function assignment(...args) {
  const groups = args[args.length - 1];
  const q = groups.value[0];
  return q === '"' || q === "'" ? `${groups.pre}${q}${MASK}${q}` : groups.pre + MASK;
}

const KEEP_PRE = `$<pre>${MASK}`;

// [name, pattern, replacement], applied in this order.
const CONTEXT = [
  ["private_key", /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----.*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/gs, MASK],
  // a block cut off before its END line (truncated output): mask to the end of the text
  ["private_key_truncated", /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----.*$/s, MASK],
  ["url_password", /(?<pre>\b[a-z][a-z0-9+.\-]*:\/\/[^\s:/@]*:)[^\s@/]+(?=@)/gi, KEEP_PRE],
  ["basic_auth", /(?<pre>\bauthorization\s*[:=]\s*basic\s+)[A-Za-z0-9+/]{8,}=*/gi, KEEP_PRE],
  ["bearer", /(?<pre>\b(?:bearer|token)\s+)[A-Za-z0-9\-._~+/]{16,}=*/gi, KEEP_PRE],
];

// One scan for all provider tokens (alternatives in the order above), then assignments.
const PASSES = [
  ...CONTEXT.map(([, p, r]) => [p, r]),
  [new RegExp(TOKENS.map(([, p]) => `(?:${p})`).join("|"), "g"), MASK],
  [new RegExp(ASSIGNMENT, "gi"), assignment],
];

const KINDS = [
  ...CONTEXT.map(([n, p]) => [n, new RegExp(p.source, p.flags.replace("g", ""))]),
  ...TOKENS.map(([n, p]) => [n, new RegExp(p)]),
  ["assignment", new RegExp(ASSIGNMENT, "i")],
];

// Cheap pre-check: every pattern needs one of these substrings (case-insensitive). One regex
// test instead of a lower-cased copy: no allocation when a tool result holds no secret.
const TRIGGERS = [
  "private key", "://", "bearer", "token", "sk-", "sk_", "rk_", "ghp_", "gho_", "ghu_", "ghs_", "ghr_",
  "github_pat_", "glpat-", "xox", "akia", "asia", "aiza", "hf_", "npm_", "eyj", "password", "passwd", "pwd",
  "secret", "api", "auth",
];
const TRIGGER_RE = new RegExp(TRIGGERS.map((t) => t.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")).join("|"), "i");

/** `text` with every recognised secret replaced by "[REDACTED]". */
export function redact(text) {
  if (typeof text !== "string" || text === "") return text;
  if (!TRIGGER_RE.test(text)) return text;
  for (const [pattern, replacement] of PASSES) text = text.replace(pattern, replacement);
  return text;
}

/** Names of the secret kinds present in `text` (for tests and reports). */
export function findSecrets(text) {
  return KINDS.filter(([, p]) => p.test(text)).map(([name]) => name);
}
