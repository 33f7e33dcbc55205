// The five memory tools (and two optional sidecar tools, below). Schemas stay compatible with memory-core (memory_search,
// memory_get), memory-lancedb (memory_recall, memory_store text form, memory_forget) and
// darwin (memory_store question/answer form). Each call is forwarded to
// POST /v1/tools/{tool}; when the daemon is unavailable the tool answers with a clear
// "memory unavailable" text instead of throwing, so the turn goes on.
import { toJsonSafe } from "./json-safe.js";
import { TOOL_SCHEMAS, OPTIONAL_TOOL_SCHEMAS } from "./tool-schemas.js";

// Schemas, descriptions, defaults and limits come from the daemon's pydantic models
// (generated file); only how each optional tool builds its query lives here.
export const TOOL_SPECS = TOOL_SCHEMAS;

const QUERIES = {
  clawmemory_sidecar_status: (p) => ({ url: p.url }),
  clawmemory_sidecar_provider_config: (p) => ({ url: p.url, provider: p.provider }),
};

export const OPTIONAL_TOOL_SPECS = OPTIONAL_TOOL_SCHEMAS.map((t) => ({ ...t, query: QUERIES[t.name] }));

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
