// Resolved settings of the capture plugin: plugins.entries.clawmemory-capture.config + defaults.
// OpenClaw validates the config against the manifest schema before load; values of the
// wrong type (e.g. from a test harness) still fall back to the defaults here.

export const PLUGIN_ID = "clawmemory-capture";
export const PLUGIN_VERSION = "0.1.0";

/** The memory tool names the ecosystem converges on (memory-core, memory-lancedb, clawmemory). */
export const DEFAULT_MEMORY_TOOLS = Object.freeze([
  "memory_search",
  "memory_get",
  "memory_recall",
  "memory_store",
  "memory_forget",
]);

export const DEFAULTS = Object.freeze({
  backendMode: "auto",
  annotateMemoryTools: true,
  memoryToolNames: DEFAULT_MEMORY_TOOLS,
  outputPath: "memory/clawmemory-observations.jsonl",
  maxResultChars: 2000,
});

const BACKEND_RE = /^(auto|[a-z0-9][a-z0-9._-]{0,127})$/;

/** @param {Record<string, unknown> | undefined} pluginConfig */
export function resolveSettings(pluginConfig) {
  const c = pluginConfig && typeof pluginConfig === "object" ? pluginConfig : {};
  const backendMode = typeof c.backendMode === "string" && BACKEND_RE.test(c.backendMode) ? c.backendMode : DEFAULTS.backendMode;
  const names = Array.isArray(c.memoryToolNames)
    ? c.memoryToolNames.filter((n) => typeof n === "string" && n.length > 0)
    : DEFAULTS.memoryToolNames;
  const max = Number.isInteger(c.maxResultChars) && c.maxResultChars >= 0 ? c.maxResultChars : DEFAULTS.maxResultChars;
  return {
    backendMode,
    annotateMemoryTools: c.annotateMemoryTools !== false,
    memoryToolNames: new Set(names),
    outputPath: typeof c.outputPath === "string" && c.outputPath.trim() ? c.outputPath.trim() : DEFAULTS.outputPath,
    maxResultChars: Math.min(max, 1_000_000),
  };
}
