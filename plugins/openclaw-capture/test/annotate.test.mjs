import test from "node:test";
import assert from "node:assert/strict";
import { memoryOperation, pluginEnabled, resolveBackend } from "../src/annotate.js";
import { resolveSettings, DEFAULT_MEMORY_TOOLS } from "../src/settings.js";

test("canonical memory tools map to their operation", () => {
  assert.equal(memoryOperation("memory_store"), "store");
  assert.equal(memoryOperation("memory_recall"), "recall");
  assert.equal(memoryOperation("memory_forget"), "forget");
  assert.equal(memoryOperation("memory_search"), "search");
  assert.equal(memoryOperation("memory_get"), "get");
});

test("other memory tool names are inferred when the name says which", () => {
  assert.equal(memoryOperation("mem_search"), "search");
  assert.equal(memoryOperation("memory_delete"), "forget");
  assert.equal(memoryOperation("remnic_remember"), "store");
  assert.equal(memoryOperation("mem_get"), "get");
  assert.equal(memoryOperation("memory_stats"), undefined);
  assert.equal(memoryOperation(undefined), undefined);
});

test("auto mode follows plugins.slots.memory, memory-core when unset", () => {
  assert.deepEqual(resolveBackend({}, "auto"), {
    memory_backend: "memory-core",
    memory_backend_ready: true,
    memory_backend_mode: "auto",
  });
  const cfg = { plugins: { slots: { memory: "clawmemory" }, entries: { clawmemory: { enabled: true } } } };
  assert.deepEqual(resolveBackend(cfg, "auto"), {
    memory_backend: "clawmemory",
    memory_backend_ready: true,
    memory_backend_mode: "auto",
  });
});

test("readiness is the entry's enabled flag, deny and allow lists", () => {
  const base = { plugins: { slots: { memory: "memory-core" }, entries: { "memory-core": { enabled: false } } } };
  assert.equal(resolveBackend(base, "auto").memory_backend_ready, false);
  assert.equal(pluginEnabled({ plugins: { deny: ["clawmemory"] } }, "clawmemory"), false);
  assert.equal(pluginEnabled({ plugins: { allow: ["other"] } }, "clawmemory"), false);
  assert.equal(pluginEnabled({ plugins: { allow: ["clawmemory"] } }, "clawmemory"), true);
  assert.equal(resolveBackend({ plugins: { slots: { memory: "none" } } }, "auto").memory_backend_ready, false);
});

test("a pinned backend ignores the slot", () => {
  const cfg = { plugins: { slots: { memory: "memory-core" } } };
  assert.deepEqual(resolveBackend(cfg, "clawmemory"), {
    memory_backend: "clawmemory",
    memory_backend_ready: true,
    memory_backend_mode: "pinned",
  });
});

test("settings: defaults and bad values fall back", () => {
  const s = resolveSettings(undefined);
  assert.equal(s.backendMode, "auto");
  assert.equal(s.annotateMemoryTools, true);
  assert.deepEqual([...s.memoryToolNames], DEFAULT_MEMORY_TOOLS);
  assert.equal(s.outputPath, "memory/clawmemory-observations.jsonl");
  assert.equal(s.maxResultChars, 2000);
  const bad = resolveSettings({ backendMode: "Not An Id!", maxResultChars: -3, memoryToolNames: "x", outputPath: " " });
  assert.equal(bad.backendMode, "auto");
  assert.equal(bad.maxResultChars, 2000);
  assert.deepEqual([...bad.memoryToolNames], DEFAULT_MEMORY_TOOLS);
  assert.equal(bad.outputPath, "memory/clawmemory-observations.jsonl");
});
