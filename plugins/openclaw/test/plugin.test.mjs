// Unit tests for the plugin, run with `node --test test/*.test.mjs` (Node >= 22). A stub daemon on
// 127.0.0.1 stands in for clawmemory; a fake `api` records what register() registers.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import plugin from "../index.js";
import { sanitizeNamespace, resolveSettings, namespaceFor } from "../src/settings.js";
import { buildMemoryPromptSection } from "../src/prompt.js";
import { toJsonSafe } from "../src/json-safe.js";
import { DaemonSupervisor } from "../src/daemon-service.js";
import { Bridge } from "../src/bridge.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "clawmemory-plugin-"));
let server;
let port;
const seen = [];
let mode = "ok"; // ok | reject | rotate | down-commit
let token = "tok-1";

before(async () => {
  server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const json = body ? JSON.parse(body) : undefined;
      seen.push({ method: req.method, url: req.url, auth: req.headers.authorization, body: json });
      const send = (code, obj) => {
        res.writeHead(code, { "content-type": "application/json" });
        res.end(JSON.stringify(obj));
      };
      if (req.url === "/health") return send(200, { status: "ok", version: "stub" });
      if (req.headers.authorization !== `Bearer ${token}`) return send(401, { error: { code: "unauthorized", message: "bad token" } });
      if (req.method === "PUT") return send(200, { name: req.url.split("/").pop() });
      if (mode === "down-commit" && req.url === "/v1/context/commitTurn") return send(503, { error: { code: "busy", message: "busy" } });
      if (req.url === "/v1/tools/memory_store" && mode === "reject") {
        return send(422, { error: { code: "invalid_input", message: "text or question+answer required", field: "params.text" } });
      }
      if (req.url === "/v1/tools/memory_forget") return send(404, { error: { code: "not_found", message: "Not Found" } });
      if (req.url.startsWith("/v1/tools/")) return send(200, { content: `ok ${json.params.query ?? json.params.text}`, details: { n: 1 } });
      if (req.url === "/v1/context/assemble") return send(200, { estimatedTokens: 42, systemPromptAddition: "<memories/>" });
      if (req.url === "/v1/context/commitTurn") return send(200, { status: "committed" });
      if (req.url === "/v1/context/compact") return send(200, { ok: true, compacted: false, reason: "nothing to do" });
      if (req.url === "/v1/hooks/before_prompt_build") {
        return send(200, mode === "system" ? { appendSystemContext: "<recall/>", clawmemory: {} } : { prependContext: "<recall/>" });
      }
      if (req.method === "GET" && req.url.startsWith("/v1/sidecar/")) {
        if (mode === "old-daemon") return send(404, { detail: "Not Found" });
        const u = new URL(req.url, "http://x");
        const q = Object.fromEntries(u.searchParams);
        if (u.pathname === "/v1/sidecar/status") {
          return send(200, { url: q.url ?? "http://127.0.0.1:7412", backend: "proxy", host: { cpus: 2 }, requirements: { upstream_base_url: { ok: true, detail: "set" } }, ready: true, health: { ok: true } });
        }
        if (u.pathname === "/v1/sidecar/provider-config") {
          return send(200, { models: { providers: { [q.provider ?? "clawmemory-sidecar"]: { baseUrl: `${q.url ?? "http://127.0.0.1:7412"}/v1` } } }, agents: {}, notes: "merge" });
        }
      }
      return send(200, { settled: 0 });
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  port = server.address().port;
});

after(() => server.close());

function fakeApi(pluginConfig, registrationMode = "full") {
  const reg = { tools: [], hooks: {}, engines: {}, services: [], memory: [], logs: [] };
  const log = (level) => (msg) => reg.logs.push([level, msg]);
  const api = {
    id: "clawmemory",
    registrationMode,
    pluginConfig,
    config: { plugins: { slots: { memory: "clawmemory", contextEngine: "clawmemory" } } },
    logger: { info: log("info"), warn: log("warn"), error: log("error"), debug: log("debug") },
    registerTool: (factory, opts) => reg.tools.push({ factory, opts }),
    on: (name, handler) => (reg.hooks[name] = handler),
    registerContextEngine: (id, factory) => (reg.engines[id] = factory),
    registerService: (svc) => reg.services.push(svc),
    registerMemoryCapability: (cap) => reg.memory.push(cap),
  };
  plugin.register(api);
  return reg;
}

function dataDir(name) {
  const d = path.join(tmp, name);
  fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(d, "token"), token);
  return d;
}

const ctx = { agentId: "Main Agent", sessionKey: "agent:main:s1", sessionId: "sid-1", workspaceDir: "/w" };
const tool = (reg, name) => reg.tools.find((t) => t.opts.names[0] === name).factory(ctx);

const SIDECAR_TOOLS = ["clawmemory_sidecar_status", "clawmemory_sidecar_provider_config"];

test("register() registers five direct-only tools, two optional ones, hooks, engine, service, prompt", () => {
  const reg = fakeApi({ dataDir: dataDir("reg"), daemonUrl: `http://127.0.0.1:${port}` });
  assert.deepEqual(reg.tools.map((t) => t.opts.names[0]), ["memory_search", "memory_get", "memory_recall", "memory_store", "memory_forget", ...SIDECAR_TOOLS]);
  for (const t of reg.tools) assert.equal(t.factory(ctx).catalogMode, "direct-only");
  assert.deepEqual(reg.tools.filter((t) => t.opts.optional === true).map((t) => t.opts.names[0]), SIDECAR_TOOLS);
  assert.deepEqual(Object.keys(reg.hooks).sort(), ["agent_end", "session_end"]); // autoRecall off by default
  assert.ok(reg.engines.clawmemory);
  assert.equal(reg.services[0].id, "clawmemory-daemon");
  assert.equal(reg.memory.length, 1);
  const manifest = JSON.parse(fs.readFileSync(new URL("../openclaw.plugin.json", import.meta.url)));
  assert.deepEqual(manifest.contracts.tools, reg.tools.map((t) => t.opts.names[0]));
  assert.deepEqual(manifest.toolMetadata, Object.fromEntries(SIDECAR_TOOLS.map((n) => [n, { optional: true }])));
  assert.deepEqual(manifest.kind, ["memory", "context-engine"]);
});

test("tools forward {namespace, session, params} with the bearer token", async () => {
  const reg = fakeApi({ dataDir: dataDir("fwd"), daemonUrl: `http://127.0.0.1:${port}` });
  seen.length = 0;
  const r = await tool(reg, "memory_recall").execute("call-1", { query: "deploys", limit: 2 });
  assert.deepEqual(r, { content: [{ type: "text", text: "ok deploys" }], details: { n: 1 } });
  const put = seen.find((s) => s.method === "PUT");
  assert.equal(put.url, "/v1/namespaces/main-agent");
  const post = seen.find((s) => s.url === "/v1/tools/memory_recall");
  assert.equal(post.auth, `Bearer ${token}`);
  assert.deepEqual(post.body, {
    namespace: "main-agent",
    session: { sessionKey: "agent:main:s1", sessionId: "sid-1", agentId: "Main Agent", workspaceDir: "/w" },
    params: { query: "deploys", limit: 2 },
  });
});

test("optional sidecar tools GET the daemon's sidecar routes with the bearer token", async () => {
  const reg = fakeApi({ dataDir: dataDir("sidecar"), daemonUrl: `http://127.0.0.1:${port}` });
  seen.length = 0;
  const st = await tool(reg, "clawmemory_sidecar_status").execute("c", {});
  assert.equal(st.details.backend, "proxy");
  assert.equal(st.details.ready, true);
  assert.deepEqual(JSON.parse(st.content[0].text), st.details);
  const st2 = await tool(reg, "clawmemory_sidecar_status").execute("c", { url: "http://127.0.0.1:9999", provider: "mem" });
  assert.equal(st2.details.url, "http://127.0.0.1:9999");
  const pc = await tool(reg, "clawmemory_sidecar_provider_config").execute("c", { url: "http://127.0.0.1:9999", provider: "mem" });
  assert.deepEqual(pc.details, { models: { providers: { mem: { baseUrl: "http://127.0.0.1:9999/v1" } } }, agents: {}, notes: "merge" });
  assert.deepEqual(
    seen.map((r) => [r.method, r.url, r.auth, r.body]),
    [
      ["GET", "/v1/sidecar/status", `Bearer ${token}`, undefined],
      ["GET", "/v1/sidecar/status?url=http%3A%2F%2F127.0.0.1%3A9999", `Bearer ${token}`, undefined],
      ["GET", "/v1/sidecar/provider-config?url=http%3A%2F%2F127.0.0.1%3A9999&provider=mem", `Bearer ${token}`, undefined],
    ],
  ); // no namespace PUT, no body; status ignores provider
});

test("optional sidecar tools fail open: an older daemon (404) or none at all", async () => {
  const reg = fakeApi({ dataDir: dataDir("sidecar-old"), daemonUrl: `http://127.0.0.1:${port}` });
  mode = "old-daemon";
  try {
    const r = await tool(reg, "clawmemory_sidecar_provider_config").execute("c", {});
    assert.match(r.content[0].text, /clawmemory daemon is unavailable right now .*clawmemory_sidecar_provider_config did not run/);
    assert.equal(r.details.unavailable, true);
  } finally {
    mode = "ok";
  }
  const dead = fakeApi({ dataDir: dataDir("sidecar-down"), daemonUrl: "http://127.0.0.1:1", toolTimeoutMs: 500 });
  const d = await tool(dead, "clawmemory_sidecar_status").execute("c", {});
  assert.equal(d.details.unavailable, true);
  assert.equal(d.details.code, "unreachable");
});

test("a rejected call throws an error the model sees; a missing route is 'unavailable'", async () => {
  const reg = fakeApi({ dataDir: dataDir("rej"), daemonUrl: `http://127.0.0.1:${port}` });
  mode = "reject";
  try {
    await assert.rejects(tool(reg, "memory_store").execute("c", { source: "x" }), /text or question\+answer required \(field: params.text\)/);
  } finally {
    mode = "ok";
  }
  const r = await tool(reg, "memory_forget").execute("c", { memoryId: "m1" });
  assert.match(r.content[0].text, /Memory is unavailable/);
});

test("a rotated token is re-read once on 401", async () => {
  const d = dataDir("rot");
  const reg = fakeApi({ dataDir: d, daemonUrl: `http://127.0.0.1:${port}` });
  await tool(reg, "memory_recall").execute("c", { query: "a" });
  token = "tok-2";
  fs.writeFileSync(path.join(d, "token"), token);
  try {
    const r = await tool(reg, "memory_recall").execute("c", { query: "b" });
    assert.equal(r.content[0].text, "ok b");
  } finally {
    token = "tok-1";
  }
});

test("daemon down: tools, hooks and the context engine fail open", async () => {
  const d = dataDir("down");
  const dead = `http://127.0.0.1:1`;
  const reg = fakeApi({ dataDir: d, daemonUrl: dead, autoRecall: true, toolTimeoutMs: 500, hookTimeoutMs: 500, assembleTimeoutMs: 500, commitTimeoutMs: 500 });
  const r = await tool(reg, "memory_search").execute("c", { query: "x" });
  assert.match(r.content[0].text, /Memory is unavailable right now/);
  assert.equal(r.details.unavailable, true);
  assert.deepEqual(r.details.results, []);
  assert.equal(await reg.hooks.before_prompt_build({ prompt: "hi" }, ctx), undefined);
  await reg.hooks.agent_end({ success: true, messages: [] }, ctx);
  const engine = await reg.engines.clawmemory({ workspaceDir: "/w" });
  const messages = [{ role: "user", content: "hello there" }];
  const a = await engine.assemble({ sessionId: "s", sessionKey: "agent:main:s", messages, availableTools: new Set(["memory_recall"]) });
  assert.equal(a.messages, messages);
  assert.ok(a.estimatedTokens > 0);
  assert.match(a.systemPromptAddition, /memory_recall/);
  assert.deepEqual(await engine.commitTurn({ advancementKey: "k1", messages, sessionId: "s", abortSignal: AbortSignal.timeout(1000) }), { status: "committed" });
  const b = await engine.bootstrap({ sessionId: "s", sessionFile: "x" });
  assert.equal(b.bootstrapped, false);
  const c = await engine.compact({ sessionId: "s", sessionKey: "agent:main:s" });
  assert.equal(c.ok, false); // no host SDK outside OpenClaw: reported, not thrown
  const spool = fs.readdirSync(path.join(d, "spool", "openclaw")).filter((f) => f.endsWith(".json"));
  assert.equal(spool.length, 2); // agent_end + commitTurn
  const entries = spool.map((f) => JSON.parse(fs.readFileSync(path.join(d, "spool", "openclaw", f))));
  assert.deepEqual(entries.map((e) => e.path), ["/v1/hooks/agent_end", "/v1/context/commitTurn"]);
  assert.equal(entries[1].body.params.advancementKey, "k1");
  // the spooled agent_end says when the run ended, so a late replay settles only that run's tickets
  assert.ok(Date.parse(entries[0].body.event.endedAt) <= Date.parse(entries[0].spooledAt));
  assert.equal(entries[1].body.params.abortSignal, undefined);
  const warns = reg.logs.filter(([l]) => l === "warn");
  assert.ok(warns.length >= 1 && warns.length <= 8, `rate-limited warnings, got ${warns.length}`);
});

test("the spool is replayed in order before new durable calls", async () => {
  const d = dataDir("replay");
  const reg = fakeApi({ dataDir: d, daemonUrl: `http://127.0.0.1:${port}` });
  const engine = await reg.engines.clawmemory({});
  mode = "down-commit";
  try {
    assert.deepEqual(await engine.commitTurn({ advancementKey: "k-a", messages: [], sessionId: "s" }), { status: "committed" });
  } finally {
    mode = "ok";
  }
  assert.equal(fs.readdirSync(path.join(d, "spool", "openclaw")).filter((f) => f.endsWith(".json")).length, 1);
  seen.length = 0;
  await engine.commitTurn({ advancementKey: "k-b", messages: [], sessionId: "s" });
  const keys = seen.filter((s) => s.url === "/v1/context/commitTurn").map((s) => s.body.params.advancementKey);
  assert.deepEqual(keys, ["k-a", "k-b"]);
  assert.equal(fs.readdirSync(path.join(d, "spool", "openclaw")).filter((f) => f.endsWith(".json")).length, 0);
});

test("assemble merges the memory section and the daemon's addition; host messages kept", async () => {
  const reg = fakeApi({ dataDir: dataDir("asm"), daemonUrl: `http://127.0.0.1:${port}` });
  const engine = await reg.engines.clawmemory({});
  const messages = [{ role: "user", content: [{ type: "text", text: "hi" }] }];
  const a = await engine.assemble({ sessionId: "s", messages, availableTools: new Set(["memory_search"]) });
  assert.equal(a.messages, messages);
  assert.equal(a.estimatedTokens, 42);
  assert.match(a.systemPromptAddition, /memory_search[\s\S]*<memories\/>/);
  assert.deepEqual(engine.info.transcriptSemantics, { currentTurnFence: "before-current-turn-entry-v1", turnAdvancementIdempotency: "atomic-idempotent-v1" });
});

test("auto-recall returns the daemon's block where the daemon places it", async () => {
  const reg = fakeApi({ dataDir: dataDir("ar"), daemonUrl: `http://127.0.0.1:${port}`, autoRecall: true });
  assert.deepEqual(await reg.hooks.before_prompt_build({ prompt: "hi", currentUserMessage: "hi" }, ctx), { prependContext: "<recall/>" });
  mode = "system"; // the daemon's recallPlacement decides where the block goes
  try {
    assert.deepEqual(await reg.hooks.before_prompt_build({ prompt: "hi" }, ctx), { appendSystemContext: "<recall/>" });
  } finally {
    mode = "ok";
  }
});

test("activation line once, or a warning when no slot selects the plugin", () => {
  const cfg = { dataDir: dataDir("ann"), daemonUrl: `http://127.0.0.1:${port}` };
  const first = fakeApi(cfg);
  assert.deepEqual(first.logs, [["info", `clawmemory: active plugin=clawmemory slots=memory+contextEngine dataDir=${cfg.dataDir} daemonUrl=${cfg.daemonUrl}`]]);
  assert.deepEqual(fakeApi(cfg).logs, []); // once per process
  assert.deepEqual(fakeApi(cfg, "discovery").logs, []);
  const reg = { logs: [] };
  plugin.register({
    ...Object.fromEntries(["registerTool", "on", "registerContextEngine", "registerService", "registerMemoryCapability"].map((k) => [k, () => {}])),
    registrationMode: "full",
    pluginConfig: cfg,
    config: { plugins: { slots: { memory: "memory-core" } } },
    logger: { info: (m) => reg.logs.push(["info", m]), warn: (m) => reg.logs.push(["warn", m]) },
  });
  assert.equal(reg.logs.length, 1);
  assert.equal(reg.logs[0][0], "warn");
  assert.match(reg.logs[0][1], /selected in neither slot .*memory-core.*legacy/);
});

test("namespaces", () => {
  assert.equal(sanitizeNamespace("Main"), "main");
  assert.equal(sanitizeNamespace("__x y__"), "x-y");
  assert.equal(sanitizeNamespace(""), "main");
  assert.equal(sanitizeNamespace("a".repeat(80)).length, 64);
  const s = resolveSettings({ namespaceRule: "fixed:team.shared" });
  assert.equal(namespaceFor(s, "whatever"), "team.shared");
  assert.equal(namespaceFor(resolveSettings({}), undefined), "main");
});

test("prompt section names only available tools", () => {
  assert.deepEqual(buildMemoryPromptSection({ availableTools: new Set() }), []);
  const lines = buildMemoryPromptSection({ availableTools: new Set(["memory_recall", "memory_store"]) }).join("\n");
  assert.match(lines, /memory_recall/);
  assert.match(lines, /memory_store/);
  assert.doesNotMatch(lines, /memory_search/);
});

test("toJsonSafe drops functions and signals, converts sets", () => {
  const cyc = { a: 1 };
  cyc.self = cyc;
  assert.deepEqual(toJsonSafe({ f() {}, s: new Set([1, 2]), sig: AbortSignal.timeout(10), u: undefined, n: NaN, cyc }), {
    s: [1, 2],
    n: null,
    cyc: { a: 1, self: "[circular]" },
  });
});

test("supervisor: spawns, restarts with backoff, stops its child", async () => {
  const d = dataDir("sup");
  const bridge = new Bridge(resolveSettings({ dataDir: d, daemonUrl: "http://127.0.0.1:1", clawmemoryCommand: process.execPath }), { info() {}, warn() {} });
  const spawned = [];
  const sup = new DaemonSupervisor(bridge, {
    tickMs: 60_000,
    spawn: (cmd, args, opts) => {
      spawned.push({ cmd, args, env: opts.env.CLAWMEMORY_HOME });
      return fakeChild(); // exits at once, like a daemon that cannot bind its port
    },
  });
  await sup.start();
  assert.deepEqual(spawned[0].args, ["serve", "--port", "1", "--data-dir", d]);
  assert.equal(spawned[0].env, d);
  assert.ok(sup.restartTimer, "a restart is scheduled after the child exited");
  await sup.stop();
  assert.equal(sup.restartTimer, null);
});

function fakeChild() {
  const listeners = {};
  const child = {
    pid: 4242,
    once(ev, fn) {
      listeners[ev] = fn;
      if (ev === "exit") setTimeout(() => fn(1, null), 10);
      return child;
    },
    kill() {
      return false;
    },
  };
  return child;
}
