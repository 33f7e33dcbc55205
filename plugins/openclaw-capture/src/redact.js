// Secret redaction: the same rules, in the same order, as clawmemory's Python redactor
// (src/clawmemory/redaction.py). Both are tested against tests/fixtures/secrets.json and
// against each other. Provider API keys, bearer/basic tokens, private key blocks (also
// cut-off ones), passwords in URLs, JWTs, `password=`-style assignments, secrets in environment
// assignments (PGPASSWORD=…, GITHUB_TOKEN=…) and on command lines (--password …, sshpass -p …,
// curl -u user:…) become "[REDACTED]". Bump RULES_VERSION in both files when a rule changes.

export const MASK = "[REDACTED]";
export const RULES_VERSION = 2;

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
  ["jwt", String.raw`\beyJ[A-Za-z0-9_-]{8,1000}\.eyJ[A-Za-z0-9_-]{8,20000}\.[A-Za-z0-9_-]{8,}`], // bounded: linear
];

const VALUE = String.raw`(?<value>"[^"\n]{4,}"|'[^'\n]{4,}'|[^\s"',;]{4,})`;
const NOT_MASKED = String.raw`(?!["']?\[REDACTED\])`;
const NOT_TRIVIAL = String.raw`(?!(?:true|false|null|none|yes|no)\b)`; // BYPASS=true, --token none

// A name whose assigned value is a secret (DB_PASSWORD=…, PGPASSWORD=…, "apiKey": "…",
// aws_secret_access_key = …, "secretKey": …): the keyword may follow "_" (a password word may
// follow any letters) and carry a "_"/"-" joined suffix or "key" (but "secretary:" and
// "passwordless:" are not secrets).
const ASSIGNMENT =
  String.raw`(?<pre>(?<![A-Za-z0-9])(?:[A-Za-z0-9]{0,20}?(?:password|passwd|passphrase)|pwd|secret|api[_-]?key` +
  String.raw`|access[_-]?token|auth[_-]?token|client[_-]?secret)(?:[_-][A-Za-z0-9_]{0,40}|key)?["']?\s*[:=]\s*)` +
  NOT_MASKED +
  VALUE;
// An environment variable (upper case, as in `export X=…`, `env X=… cmd`, .env files and logs)
// whose name ends in a secret word: GITHUB_TOKEN, MYSQL_PWD, REDISCLI_AUTH, AZURE_STORAGE_KEY;
// not MAX_TOKENS, SORT_KEY or PWD (the working directory).
const ENV =
  String.raw`(?<pre>(?<![A-Za-z0-9_])(?:[A-Z0-9]{1,40}_){0,8}(?:[A-Z0-9]{0,20}(?:PASSWORD|PASSWD|PASSPHRASE)|TOKEN|SECRET|PASS` +
  String.raw`|AUTH|CREDENTIALS?|(?:API|SECRET|PRIVATE|ACCESS|ACCOUNT|STORAGE|MASTER|ENCRYPTION|SIGNING|AUTH)_?KEY)` +
  String.raw`=)` + NOT_MASKED + NOT_TRIVIAL + VALUE;
const ENV_PWD = String.raw`(?<pre>(?<![A-Za-z0-9_])(?:[A-Z0-9]{1,40}_){1,8}PWD=)` + NOT_MASKED + NOT_TRIVIAL + VALUE;
// Command-line options: --password s3cret, --db-password=…, --api-key …, sshpass -p …,
// curl -u user:… (not --no-password, --token-limit 5).
const FLAG =
  String.raw`(?<pre>(?<![\w-])--(?!no-)(?:[a-z0-9]{1,40}-){0,8}(?:password|passwd|passphrase|pass|token|secret|api-?key` +
  String.raw`|auth-token|access-token|client-secret)(?:=|\s+))(?!-)` + NOT_MASKED + NOT_TRIVIAL + VALUE;
const SSHPASS = String.raw`(?<pre>\bsshpass\s+-p\s*)` + NOT_MASKED + VALUE;
const CURL_USER = String.raw`(?<pre>\bcurl\b[^\n]{0,200}?\s(?:-u|--user)[\s=]*['"]?[^\s:'"@]+:)(?!\[REDACTED\])(?<value>[^\s'"@]+)`;

function assignment(...args) {
  const groups = args[args.length - 1];
  const q = groups.value[0];
  return q === '"' || q === "'" ? `${groups.pre}${q}${MASK}${q}` : groups.pre + MASK;
}

const KEEP_PRE = `$<pre>${MASK}`;

// [name, pattern, replacement], applied in this order.
const CONTEXT = [
  // (a block ends before the next BEGIN: a text of many BEGINs without END stays linear)
  ["private_key", /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----(?:(?!-----BEGIN ).)*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/gs, MASK],
  // a block cut off before its END line (truncated output): mask to the end of the text
  ["private_key_truncated", /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----.*$/s, MASK],
  ["url_password", /(?<pre>\b[a-z][a-z0-9+.\-]{0,30}:\/\/[^\s:/@]*:)[^\s@/]+(?=@)/gi, KEEP_PRE],
  ["basic_auth", /(?<pre>\bauthorization\s*[:=]\s*basic\s+)[A-Za-z0-9+/]{8,}=*/gi, KEEP_PRE],
  ["bearer", /(?<pre>\b(?:bearer|token)\s+)[A-Za-z0-9\-._~+/]{16,}=*/gi, KEEP_PRE],
];

// [name, pattern, flags] of the rules that keep the name and mask the value, applied in this order.
const ASSIGNMENTS = [
  ["env_secret", ENV, ""],
  ["env_pwd", ENV_PWD, ""],
  ["cli_secret_flag", FLAG, "i"],
  ["sshpass", SSHPASS, ""],
  ["curl_user", CURL_USER, ""],
  ["assignment", ASSIGNMENT, "i"],
];

// One scan for all provider tokens (alternatives in the order above), then assignments.
const PASSES = [
  ...CONTEXT.map(([, p, r]) => [p, r]),
  [new RegExp(TOKENS.map(([, p]) => `(?:${p})`).join("|"), "g"), MASK],
  ...ASSIGNMENTS.map(([, p, f]) => [new RegExp(p, `g${f}`), assignment]),
];

const KINDS = [
  ...CONTEXT.map(([n, p]) => [n, new RegExp(p.source, p.flags.replace("g", ""))]),
  ...TOKENS.map(([n, p]) => [n, new RegExp(p)]),
  ...ASSIGNMENTS.map(([n, p, f]) => [n, new RegExp(p, f)]),
];

// Cheap pre-check: every pattern needs one of these substrings (case-insensitive). One regex
// test instead of a lower-cased copy: no allocation when a tool result holds no secret.
const TRIGGERS = [
  "private key", "://", "bearer", "token", "sk-", "sk_", "rk_", "ghp_", "gho_", "ghu_", "ghs_", "ghr_",
  "github_pat_", "glpat-", "xox", "akia", "asia", "aiza", "hf_", "npm_", "eyj", "pass", "pwd",
  "secret", "api", "auth", "_key", "credential", "curl",
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
