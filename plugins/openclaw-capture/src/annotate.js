// Memory-backend annotations for each captured line (detail.memory_*).
//
// memory_backend        the plugin that owns memory: plugins.slots.memory ("memory-core" when
//                       unset) in "auto" mode, or the pinned plugin id
// memory_backend_ready  that plugin's entry is enabled (not enabled:false, not denied, allowed)
// memory_backend_mode   "auto" | "pinned"
// memory_tool           the tool is one of memoryToolNames
// memory_operation      store | recall | forget | search | get, when the tool name says which

const CANONICAL = new Map([
  ["memory_store", "store"],
  ["memory_recall", "recall"],
  ["memory_forget", "forget"],
  ["memory_search", "search"],
  ["memory_get", "get"],
]);

// For other memory tool names (mem_search, memory_delete, ...): the first rule that matches.
const INFER = [
  ["forget", /forget|delete|remove|purge/],
  ["recall", /recall/],
  ["search", /search|query|find|lookup/],
  ["store", /store|save|remember|write|add|capture/],
  ["get", /(^|[_.-])(get|read|fetch|open)([_.-]|$)/],
];

/** The memory operation a tool performs, or undefined when its name does not say. */
export function memoryOperation(toolName) {
  if (typeof toolName !== "string") return undefined;
  const exact = CANONICAL.get(toolName);
  if (exact) return exact;
  const name = toolName.toLowerCase();
  for (const [op, re] of INFER) if (re.test(name)) return op;
  return undefined;
}

/** Whether OpenClaw would treat plugin `id` as enabled by config (entries, deny, allow). */
export function pluginEnabled(config, id) {
  const plugins = config?.plugins;
  if (!plugins || typeof plugins !== "object") return true;
  if (plugins.enabled === false) return false;
  if (Array.isArray(plugins.deny) && plugins.deny.includes(id)) return false;
  const entry = plugins.entries?.[id];
  if (entry && typeof entry === "object" && entry.enabled === false) return false;
  if (Array.isArray(plugins.allow) && !plugins.allow.includes(id)) return false;
  return true;
}

/** {memory_backend, memory_backend_ready, memory_backend_mode} for a config. */
export function resolveBackend(config, backendMode) {
  const auto = backendMode === "auto";
  const slot = config?.plugins?.slots?.memory;
  const backend = auto ? (typeof slot === "string" && slot ? slot : "memory-core") : backendMode;
  return {
    memory_backend: backend,
    memory_backend_ready: backend !== "none" && pluginEnabled(config, backend),
    memory_backend_mode: auto ? "auto" : "pinned",
  };
}
