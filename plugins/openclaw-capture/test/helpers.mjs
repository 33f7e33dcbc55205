// Shared test helpers: a stand-in for OpenClaw's plugin api (records hooks and log lines)
// and a tool-result message shaped like OpenClaw's AgentMessage.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

export function secretsCorpus() {
  return JSON.parse(fs.readFileSync(path.join(REPO, "tests", "fixtures", "secrets.json"), "utf8"));
}

const made = [];
process.on("exit", () => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

/** A temporary directory, removed when the test process exits. */
export function tempDir() {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "claw-capture-"));
  made.push(d);
  return d;
}

export function fakeApi({ config = {}, pluginConfig = {}, runtime, registrationMode = "full" } = {}) {
  const hooks = new Map();
  const logs = [];
  const api = {
    id: "clawmemory-capture",
    config,
    pluginConfig,
    registrationMode,
    logger: {
      info: (m) => logs.push(["info", m]),
      warn: (m) => logs.push(["warn", m]),
      error: (m) => logs.push(["error", m]),
    },
    on(name, handler) {
      hooks.set(name, handler);
    },
  };
  if (runtime) api.runtime = runtime;
  return { api, hooks, logs };
}

export function toolResult(text, extra = {}) {
  return {
    role: "toolResult",
    toolCallId: "call_1",
    toolName: "exec",
    content: [{ type: "text", text }],
    isError: false,
    timestamp: Date.now(),
    ...extra,
  };
}

export function readLines(file) {
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}
