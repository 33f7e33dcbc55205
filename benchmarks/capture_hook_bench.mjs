// Time the clawmemory-capture tool_result_persist handler in a loop, writing to a real file.
// Run: node benchmarks/capture_hook_bench.mjs [--n 20000] [--warmup 2000]
// (or through benchmarks/capture_hook_bench.py, which finds Node 24 from the PyPI wheel).
// Prints a summary line per message size, then one JSON line (the last line).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const { createCapture } = await import(path.join(here, "..", "plugins", "openclaw-capture", "index.js"));

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg("n", 20000);
const WARMUP = arg("warmup", 2000);

const WORDS = "deploy billing service kubectl rollout status ok error token api auth https://example.com/v1 user config file src tests build step module alpha beta gamma".split(" ");
function text(chars, seed) {
  let s = "";
  let i = seed;
  while (s.length < chars) {
    i = (i * 1103515245 + 12345) & 0x7fffffff;
    s += WORDS[i % WORDS.length] + (i % 11 === 0 ? "\n" : " ");
  }
  return s.slice(0, chars);
}
// mix of tool-result sizes, as seen in agent runs: mostly small, some 2-8 KB, a few huge
const SIZES = [
  ["200 B", 200, 0.55],
  ["2 KB", 2000, 0.25],
  ["8 KB", 8000, 0.12],
  ["64 KB", 64000, 0.06],
  ["1 MB", 1000000, 0.02],
];
const SECRET = " export OPENAI_API_KEY=sk-proj-Xq3v9TzL0aBcDeFgHiJkLmNoPqRsTuVwXyZ012345678 ";
// flat strings, built before timing (a concatenated "rope" would be flattened inside the hook)
const flat = (s) => JSON.parse(JSON.stringify(s));
const bodies = SIZES.map(([, n], k) => flat(text(n, k + 1)));
function pickSize(i) {
  let x = ((i * 2654435761) >>> 0) / 2 ** 32;
  for (let k = 0; k < SIZES.length; k++) {
    if ((x -= SIZES[k][2]) < 0) return k;
  }
  return 0;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "capture-bench-"));
const api = {
  config: { agents: { defaults: { workspace: dir } }, plugins: { slots: { memory: "clawmemory" } } },
  pluginConfig: {},
  logger: { info() {}, warn: (m) => console.error(m) },
};
const { handler } = createCapture(api);
const tools = ["exec", "read", "memory_search", "memory_store", "web_fetch"];

const withSecret = bodies.map((b) => flat(b.slice(0, 100) + SECRET + b.slice(100)));

function event(i) {
  const k = pickSize(i);
  const body = i % 10 === 0 ? withSecret[k] : bodies[k];
  return [
    k,
    {
      toolName: tools[i % tools.length],
      toolCallId: `call_${i}`,
      message: {
        role: "toolResult",
        toolCallId: `call_${i}`,
        content: [{ type: "text", text: `#${i}` }, { type: "text", text: body }],
      },
      isSynthetic: false,
    },
    { agentId: "main", sessionKey: "agent:main:bench" },
  ];
}

for (let i = 0; i < WARMUP; i++) {
  const [, e, c] = event(i);
  handler(e, c);
}
const perSize = SIZES.map(() => []);
const all = [];
for (let i = WARMUP; i < WARMUP + N; i++) {
  const [k, e, c] = event(i);
  const t0 = process.hrtime.bigint();
  handler(e, c);
  const ns = Number(process.hrtime.bigint() - t0);
  perSize[k].push(ns);
  all.push(ns);
}
const file = path.join(dir, "memory", "clawmemory-observations.jsonl");
const lines = fs.readFileSync(file, "utf8").split("\n").filter(Boolean);
const leaked = lines.some((l) => l.includes("Xq3v9TzL0aBcDeFg"));
const fileBytes = fs.statSync(file).size;
fs.rmSync(dir, { recursive: true, force: true });

const pct = (a, p) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length ? s[Math.min(s.length - 1, Math.floor((s.length - 1) * p))] / 1e6 : NaN;
};
const stats = (a) => ({ n: a.length, p50_ms: +pct(a, 0.5).toFixed(4), p99_ms: +pct(a, 0.99).toFixed(4), max_ms: +pct(a, 1).toFixed(3) });
const bySize = Object.fromEntries(SIZES.map(([name], k) => [name, stats(perSize[k])]));
for (const [name, s] of Object.entries(bySize)) console.log(`${name.padEnd(6)} n=${s.n} p50=${s.p50_ms}ms p99=${s.p99_ms}ms max=${s.max_ms}ms`);
const overall = stats(all);
console.log(`all    n=${overall.n} p50=${overall.p50_ms}ms p99=${overall.p99_ms}ms max=${overall.max_ms}ms`);
console.log(
  JSON.stringify({
    bench: "capture_hook",
    node: process.version,
    ...overall,
    by_size: bySize,
    lines_written: lines.length,
    file_bytes: fileBytes,
    secret_leaked: leaked,
    target_p99_ms: 1,
  }),
);
