import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import plugin, { createCapture } from "../index.js";
import { fakeApi, readLines, tempDir, toolResult } from "./helpers.mjs";

function setup({ slot = "clawmemory", entries, pluginConfig = {}, runtime } = {}) {
  const ws = tempDir();
  const config = {
    agents: { defaults: { workspace: ws } },
    plugins: { slots: { memory: slot }, entries: entries ?? { clawmemory: { enabled: true } } },
  };
  const { api, hooks, logs } = fakeApi({ config, pluginConfig, runtime });
  plugin.register(api);
  const file = path.join(ws, "memory", "clawmemory-observations.jsonl");
  return { api, hooks, logs, ws, file, config };
}

test("register() adds only the tool_result_persist hook, no tools, no slot", () => {
  const { hooks, api } = setup();
  assert.deepEqual([...hooks.keys()], ["tool_result_persist"]);
  assert.equal(api.registerTool, undefined);
  const manifest = JSON.parse(fs.readFileSync(new URL("../openclaw.plugin.json", import.meta.url), "utf8"));
  assert.equal(manifest.id, "clawmemory-capture");
  assert.equal(manifest.kind, undefined); // a utility: it owns no slot
  assert.equal(manifest.contracts, undefined); // and registers no tools
});

test("a memory tool result becomes one annotated line, synchronously", () => {
  const { hooks, file } = setup();
  const event = {
    toolName: "memory_store",
    toolCallId: "call_42",
    message: toolResult("stored mem_01 'The deploy window is Friday 14:00'", { toolName: "memory_store", toolCallId: "call_42" }),
    isSynthetic: false,
  };
  const ret = hooks.get("tool_result_persist")(event, { agentId: "main", sessionKey: "agent:main:s1" });
  assert.equal(ret, undefined); // never rewrites, never a promise
  const [line] = readLines(file); // written before the handler returned
  assert.equal(line.tool_name, "memory_store");
  assert.equal(line.tool_call_id, "call_42");
  assert.equal(line.session_key, "agent:main:s1");
  assert.equal(line.agent_id, "main");
  assert.equal(line.is_synthetic, false);
  assert.equal(line.kind, "tool");
  assert.match(line.ts, /^\d{4}-\d\d-\d\dT/);
  assert.match(line.summary, /^memory_store: stored mem_01/);
  assert.equal(line.result, "stored mem_01 'The deploy window is Friday 14:00'");
  assert.deepEqual(line.detail, {
    memory_backend: "clawmemory",
    memory_backend_ready: true,
    memory_backend_mode: "auto",
    memory_tool: true,
    memory_operation: "store",
  });
});

test("a non-memory tool is annotated memory_tool:false without an operation", () => {
  const { hooks, file } = setup();
  hooks.get("tool_result_persist")({ toolName: "exec", message: toolResult("ok") }, { sessionKey: "agent:ops:x" });
  const [line] = readLines(file);
  assert.equal(line.detail.memory_tool, false);
  assert.equal("memory_operation" in line.detail, false);
  assert.equal(line.agent_id, "ops"); // from the session key
});

test("switching the slot to memory-core: capture goes on and the annotation says so", () => {
  const { hooks, file, api } = setup();
  hooks.get("tool_result_persist")({ toolName: "memory_search", message: toolResult("r1") }, { agentId: "main" });
  api.config = { ...api.config, plugins: { slots: { memory: "memory-core" }, entries: { clawmemory: { enabled: true } } } };
  hooks.get("tool_result_persist")({ toolName: "memory_search", message: toolResult("r2") }, { agentId: "main" });
  const [a, b] = readLines(file);
  assert.equal(a.detail.memory_backend, "clawmemory");
  assert.equal(b.detail.memory_backend, "memory-core");
  assert.equal(b.detail.memory_backend_ready, true);
  assert.equal(b.detail.memory_operation, "search");
});

test("the live runtime config wins over the registration snapshot", () => {
  const live = { plugins: { slots: { memory: "memory-lancedb" }, entries: { "memory-lancedb": { enabled: false } } } };
  const out = path.join(tempDir(), "obs.jsonl");
  const { api, hooks } = fakeApi({
    config: { plugins: { slots: { memory: "clawmemory" } } },
    pluginConfig: { outputPath: out },
    runtime: { config: { current: () => live } },
  });
  plugin.register(api);
  hooks.get("tool_result_persist")({ toolName: "memory_recall", message: toolResult("x") }, {});
  const [line] = readLines(out);
  assert.equal(line.detail.memory_backend, "memory-lancedb");
  assert.equal(line.detail.memory_backend_ready, false);
  assert.equal(line.detail.memory_operation, "recall");
});

test("pinned backendMode and annotateMemoryTools:false", () => {
  const { hooks, file } = setup({ pluginConfig: { backendMode: "clawmemory", annotateMemoryTools: false }, slot: "memory-core" });
  hooks.get("tool_result_persist")({ toolName: "memory_get", message: toolResult("x") }, {});
  const [line] = readLines(file);
  assert.equal(line.detail.memory_backend, "clawmemory");
  assert.equal(line.detail.memory_backend_mode, "pinned");
  assert.equal("memory_tool" in line.detail, false);
});

test("custom memoryToolNames", () => {
  const { hooks, file } = setup({ pluginConfig: { memoryToolNames: ["mem_search"] } });
  const h = hooks.get("tool_result_persist");
  h({ toolName: "mem_search", message: toolResult("x") }, {});
  h({ toolName: "memory_search", message: toolResult("x") }, {});
  const [a, b] = readLines(file);
  assert.equal(a.detail.memory_tool, true);
  assert.equal(a.detail.memory_operation, "search");
  assert.equal(b.detail.memory_tool, false);
});

test("secrets are redacted in summary and result before the line is written", () => {
  const { hooks, file } = setup();
  const secret = "sk-proj-Xq3v9TzL0aBcDeFgHiJkLmNoPqRsTuVwXyZ012345678";
  hooks.get("tool_result_persist")({ toolName: "exec", message: toolResult(`OPENAI_API_KEY=${secret}\nok`) }, {});
  const raw = fs.readFileSync(file, "utf8");
  assert.ok(!raw.includes(secret));
  assert.ok(!raw.includes("Xq3v9TzL0aBcDeFg"));
  assert.match(readLines(file)[0].summary, /\[REDACTED\]/);
});

test("long results are truncated; a private key cut at the limit is still masked", () => {
  const { hooks, file } = setup({ pluginConfig: { maxResultChars: 100 } });
  const key = "-----BEGIN RSA PRIVATE KEY-----\n" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo".repeat(60) + "\n-----END RSA PRIVATE KEY-----";
  const text = "x".repeat(80) + key + "y".repeat(5000);
  hooks.get("tool_result_persist")({ toolName: "read", message: toolResult(text) }, {});
  const [line] = readLines(file);
  assert.ok(line.result.length <= 100);
  assert.equal(line.result_truncated, true);
  assert.equal(line.result_chars, text.length);
  assert.ok(!line.result.includes("QUJDREVGR0hJSktMTU5PUFFS"), line.result);
  assert.ok(line.summary.length <= 240);
});

test("maxResultChars 0 keeps only the summary", () => {
  const { hooks, file } = setup({ pluginConfig: { maxResultChars: 0 } });
  hooks.get("tool_result_persist")({ toolName: "exec", message: toolResult("hello world") }, {});
  const [line] = readLines(file);
  assert.equal(line.result, "");
  assert.equal(line.result_truncated, true);
  assert.equal(line.summary, "exec: hello world");
});

test("content shapes: string, images, errors, empty", () => {
  const { hooks, file } = setup();
  const h = hooks.get("tool_result_persist");
  h({ toolName: "a", message: { role: "toolResult", content: "plain string" } }, {});
  h({ toolName: "b", message: { role: "toolResult", content: [{ type: "text", text: "see" }, { type: "image", data: "AAAA" }] } }, {});
  h({ toolName: "c", message: { role: "toolResult", content: [{ type: "text", text: "boom" }], isError: true } }, {});
  h({ toolName: "d", message: { role: "toolResult", content: [] } }, {});
  h({ toolName: "e", message: undefined, isSynthetic: true }, {});
  const lines = readLines(file);
  assert.deepEqual(lines.map((l) => l.result), ["plain string", "see\n[image]", "boom", "", ""]);
  assert.equal(lines[2].summary, "c error: boom");
  assert.equal(lines[2].is_error, true);
  assert.equal(lines[3].summary, "d: (no text output)");
  assert.equal(lines[4].is_synthetic, true);
});

test("capture never breaks a tool call: unwritable path, throwing config, throwing logger", () => {
  const blocker = path.join(tempDir(), "not-a-dir");
  fs.writeFileSync(blocker, "x");
  const { api, hooks, logs } = fakeApi({ pluginConfig: { outputPath: path.join(blocker, "obs.jsonl") } });
  plugin.register(api);
  const h = hooks.get("tool_result_persist");
  assert.equal(h({ toolName: "exec", message: toolResult("x") }, {}), undefined);
  assert.equal(h({ toolName: "exec", message: toolResult("y") }, {}), undefined);
  assert.equal(logs.filter(([lvl]) => lvl === "warn").length, 1); // warned once
  const broken = {
    get config() {
      throw new Error("config exploded");
    },
    pluginConfig: {},
    logger: {
      warn() {
        throw new Error("logger exploded");
      },
    },
    on() {},
  };
  const cap = createCapture(broken);
  assert.equal(cap.handler({ toolName: "exec", message: toolResult("z") }, {}), undefined);
  assert.equal(cap.handler(undefined, undefined), undefined);
});

test("a deleted or rotated file is re-created", () => {
  const { hooks, file } = setup();
  const h = hooks.get("tool_result_persist");
  const ws = path.dirname(path.dirname(file));
  h({ toolName: "a", message: toolResult("1") }, {});
  fs.renameSync(file, path.join(ws, "rotated.jsonl"));
  h({ toolName: "b", message: toolResult("2") }, {});
  assert.deepEqual(readLines(file).map((l) => l.tool_name), ["b"]);
  fs.rmSync(path.dirname(file), { recursive: true });
  h({ toolName: "c", message: toolResult("3") }, {});
  assert.deepEqual(readLines(file).map((l) => l.tool_name), ["c"]);
  assert.deepEqual(readLines(path.join(ws, "rotated.jsonl")).map((l) => l.tool_name), ["a"]);
});

test("each agent writes into its own workspace", () => {
  const wsMain = tempDir();
  const wsOps = tempDir();
  const config = { agents: { defaults: { workspace: wsMain }, list: [{ id: "ops", workspace: wsOps }] } };
  const { api, hooks } = fakeApi({ config });
  plugin.register(api);
  const h = hooks.get("tool_result_persist");
  h({ toolName: "a", message: toolResult("1") }, { agentId: "main" });
  h({ toolName: "b", message: toolResult("2") }, { agentId: "ops" });
  assert.equal(readLines(path.join(wsMain, "memory", "clawmemory-observations.jsonl"))[0].tool_name, "a");
  assert.equal(readLines(path.join(wsOps, "memory", "clawmemory-observations.jsonl"))[0].tool_name, "b");
});

test("OpenClaw's own workspace resolver is used when the runtime offers it", () => {
  const ws = tempDir();
  const seen = [];
  const runtime = { agent: { resolveAgentWorkspaceDir: (cfg, id) => (seen.push(id), path.join(ws, `workspace-${id}`)) } };
  const { api, hooks } = fakeApi({ config: {}, runtime });
  plugin.register(api);
  hooks.get("tool_result_persist")({ toolName: "a", message: toolResult("1") }, { agentId: "dev" });
  hooks.get("tool_result_persist")({ toolName: "a", message: toolResult("2") }, { agentId: "dev" });
  assert.deepEqual(seen, ["dev"]); // resolved once per agent and config
  assert.equal(readLines(path.join(ws, "workspace-dev", "memory", "clawmemory-observations.jsonl")).length, 2);
});

test("a cut never splits an emoji (no lone surrogate reaches the file)", () => {
  const { hooks, file } = setup({ pluginConfig: { maxResultChars: 11 } });
  hooks.get("tool_result_persist")({ toolName: "exec", message: toolResult("0123456789😀 tail") }, {});
  const raw = fs.readFileSync(file, "utf8");
  assert.ok(!/\\ud83d/i.test(raw), raw);
  assert.equal(readLines(file)[0].result, "0123456789");
});
