// The five memory tools (and two optional sidecar tools, below). Schemas stay compatible with memory-core (memory_search,
// memory_get), memory-lancedb (memory_recall, memory_store text form, memory_forget) and
// darwin (memory_store question/answer form). Each call is forwarded to
// POST /v1/tools/{tool}; when the daemon is unavailable the tool answers with a clear
// "memory unavailable" text instead of throwing, so the turn goes on.
import { toJsonSafe } from "./json-safe.js";

const str = (description) => ({ type: "string", description });
const int = (description, minimum = 1) => ({ type: "integer", minimum, description });

export const TOOL_SPECS = [
  {
    name: "memory_search",
    label: "Memory Search",
    description:
      "Search long-term memory (facts, decisions, preferences, past conversations and indexed notes) for text relevant to a query. Returns ranked snippets with paths usable with memory_get.",
    parameters: {
      type: "object",
      properties: {
        query: str("What to look for"),
        maxResults: int("Maximum number of results"),
        minScore: { type: "number", description: "Minimum relevance score (0..1)" },
        corpus: { type: "string", enum: ["memory", "wiki", "all", "sessions"], description: "Which corpus to search (default memory)" },
        asOf: str("ISO date or time: search the memories that were valid then (default: current)"),
      },
      required: ["query"],
      additionalProperties: false,
    },
  },
  {
    name: "memory_get",
    label: "Memory Get",
    description: "Read a memory item or a line range of an indexed memory file by the path returned from memory_search.",
    parameters: {
      type: "object",
      properties: {
        path: str("Path returned by memory_search"),
        from: int("First line to read (1-based)"),
        lines: int("Number of lines to read"),
        corpus: { type: "string", enum: ["memory", "wiki", "all"], description: "Corpus the path belongs to (default memory)" },
      },
      required: ["path"],
      additionalProperties: false,
    },
  },
  {
    name: "memory_recall",
    label: "Memory Recall",
    description:
      "Recall stored memories relevant to a question before making a decision. Recalled memories are scored by whether the turn they helped ends well.",
    parameters: {
      type: "object",
      properties: {
        query: str("The question or topic to recall memories about"),
        limit: int("Maximum number of memories (default 5)"),
      },
      required: ["query"],
      additionalProperties: false,
    },
  },
  {
    name: "memory_store",
    label: "Memory Store",
    description:
      "Store a durable fact, decision or preference in long-term memory. Use either text, or question + answer (what was asked and what turned out to be true).",
    parameters: {
      type: "object",
      properties: {
        text: str("The memory to store, self-contained"),
        question: str("Question form: the question this memory answers"),
        answer: str("Question form: the answer"),
        source: str("Where this came from (optional)"),
        importance: { type: "number", minimum: 0, maximum: 1, description: "0..1 (default 0.7)" },
        category: { type: "string", enum: ["preference", "decision", "entity", "fact", "other"], description: "Kind of memory" },
      },
      additionalProperties: false,
    },
  },
  {
    name: "memory_forget",
    label: "Memory Forget",
    description: "Forget a stored memory by id, or find candidates to forget by query.",
    parameters: {
      type: "object",
      properties: {
        memoryId: str("Id of the memory to delete"),
        entryId: str("Ledger entry id to delete"),
        query: str("Find memories matching this text"),
      },
      additionalProperties: false,
    },
  },
];

// Optional (opt-in via tools.allow) tools about the attention-state sidecar: each is a GET on
// the daemon, which answers from its settings, so they work while the sidecar is down.
const sidecarParams = {
  type: "object",
  properties: {
    url: str("Sidecar base URL (default: the daemon's configured sidecar URL)"),
    provider: str("OpenClaw provider id for the sidecar (default clawmemory-sidecar)"),
  },
  additionalProperties: false,
};

export const OPTIONAL_TOOL_SPECS = [
  {
    name: "clawmemory_sidecar_status",
    label: "clawmemory Sidecar Status",
    description:
      "Report the clawmemory attention-state sidecar: its URL, backend, host facts, whether each backend requirement is met, whether it is ready, and its live health.",
    parameters: sidecarParams,
    path: "/v1/sidecar/status",
    query: (p) => ({ url: p.url }),
  },
  {
    name: "clawmemory_sidecar_provider_config",
    label: "clawmemory Sidecar Provider Config",
    description:
      "Return the OpenClaw config block (models.providers and agents) that routes a model through the clawmemory sidecar, with notes on how to apply it.",
    parameters: sidecarParams,
    path: "/v1/sidecar/provider-config",
    query: (p) => ({ url: p.url, provider: p.provider }),
  },
];

export const TOOL_NAMES = TOOL_SPECS.map((t) => t.name);
export const OPTIONAL_TOOL_NAMES = OPTIONAL_TOOL_SPECS.map((t) => t.name);

function unavailableResult(tool, r) {
  const text =
    `Memory is unavailable right now (clawmemory: ${r.message}). ` +
    `${tool} did not run: nothing was read or stored. Continue without long-term memory; ` +
    `the user can run \`clawmemory doctor\` to fix it.`;
  const details = { unavailable: true, tool, error: r.message, code: r.code, action: "clawmemory doctor" };
  if (tool === "memory_search") Object.assign(details, { results: [], disabled: true, warning: text });
  return { content: [{ type: "text", text }], details };
}

/**
 * Register the tools in factory form (one factory per tool, so each run gets its
 * session identity).
 * @param {import("./bridge.js").Bridge} bridge
 */
export function registerTools(api, bridge) {
  for (const spec of TOOL_SPECS) {
    api.registerTool(
      (ctx) => ({
        ...spec,
        catalogMode: "direct-only", // stay visible when Tool Search hides plugin tools
        async execute(toolCallId, params, signal) {
          const { namespace, session } = bridge.identity(ctx ?? {});
          const body = { namespace, session, params: toJsonSafe(params ?? {}) ?? {} };
          const r = await bridge.call(namespace, `/v1/tools/${spec.name}`, body, bridge.settings.toolTimeoutMs, signal);
          if (r.ok) {
            const content = typeof r.data.content === "string" ? r.data.content : JSON.stringify(r.data.content ?? "");
            return { content: [{ type: "text", text: content }], details: r.data.details ?? {} };
          }
          if (r.kind === "rejected") {
            // The daemon understood the call and refused it (bad field, unknown id...):
            // an error the model should see and can correct.
            throw new Error(`${spec.name}: ${r.message}${r.field ? ` (field: ${r.field})` : ""}`);
          }
          if (r.kind === "aborted") throw new Error(`${spec.name}: cancelled`);
          return unavailableResult(spec.name, r);
        },
      }),
      { names: [spec.name] },
    );
  }
  for (const { path, query, ...spec } of OPTIONAL_TOOL_SPECS) {
    api.registerTool(
      () => ({
        ...spec,
        catalogMode: "direct-only",
        async execute(toolCallId, params, signal) {
          const r = await bridge.read(path, query(params ?? {}), bridge.settings.toolTimeoutMs, signal);
          if (r.ok) return { content: [{ type: "text", text: JSON.stringify(r.data, null, 2) }], details: r.data };
          if (r.kind === "rejected") throw new Error(`${spec.name}: ${r.message}${r.field ? ` (field: ${r.field})` : ""}`);
          if (r.kind === "aborted") throw new Error(`${spec.name}: cancelled`);
          const text = `The clawmemory daemon is unavailable right now (${r.message}); ${spec.name} did not run. The user can run \`clawmemory doctor\` to fix it.`;
          return { content: [{ type: "text", text }], details: { unavailable: true, tool: spec.name, error: r.message, code: r.code, action: "clawmemory doctor" } };
        },
      }),
      { names: [spec.name], optional: true },
    );
  }
}
