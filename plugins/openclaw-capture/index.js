// clawmemory-capture: an OpenClaw (2026.9.x) utility plugin. It owns no slot and registers
// no tools. On every tool_result_persist (a SYNCHRONOUS hook: OpenClaw ignores a returned
// promise) it appends one redacted JSON line to <workspace>/memory/clawmemory-observations.jsonl,
// annotated with the memory backend that plugins.slots.memory selects. `clawmemory ingest`
// loads the file into the observations table. Capture never breaks a tool call: every
// error is caught and logged (once per kind), and the message is never rewritten.
//
// register() runs several times per process (discovery and runtime passes); it only
// resolves settings and registers the hook; it does no I/O.
import { PLUGIN_ID, resolveSettings } from "./src/settings.js";
import { resolveBackend } from "./src/annotate.js";
import { buildObservation } from "./src/observation.js";
import { LineWriter } from "./src/writer.js";

let announced = false;

/** The current OpenClaw config: the runtime's live snapshot when offered, else api.config. */
function currentConfig(api) {
  try {
    const live = api.runtime?.config?.current?.();
    if (live && typeof live === "object") return live;
  } catch {
    /* fall back */
  }
  return api.config;
}

/** The tool_result_persist handler for one plugin api (exported for tests and benchmarks). */
export function createCapture(api, settings = resolveSettings(api.pluginConfig)) {
  const writer = new LineWriter(api, settings);
  const warned = new Set();
  const warnOnce = (key, msg) => {
    if (warned.has(key) || warned.size > 50) return;
    warned.add(key);
    try {
      api.logger?.warn?.(msg);
    } catch {
      /* a broken logger must not break a tool call either */
    }
  };
  function handler(event, ctx) {
    try {
      const config = currentConfig(api);
      const obs = buildObservation(event, ctx, settings, resolveBackend(config, settings.backendMode));
      writer.append(writer.fileFor(config, obs.agent_id ?? undefined), JSON.stringify(obs) + "\n");
    } catch (err) {
      warnOnce(`${err?.code ?? err?.name}`, `${PLUGIN_ID}: could not capture a tool result (capture goes on): ${err?.message ?? err}`);
    }
    return undefined; // never rewrite the message
  }
  return { handler, writer, settings };
}

export default {
  id: PLUGIN_ID,
  name: "clawmemory capture",
  description: "Appends one redacted, backend-annotated JSON line per tool result to memory/clawmemory-observations.jsonl",
  register(api) {
    const { handler, settings } = createCapture(api);
    api.on("tool_result_persist", handler);
    if (api.registrationMode === "full" && !announced) {
      announced = true;
      const b = resolveBackend(api.config, settings.backendMode);
      api.logger?.info?.(
        `${PLUGIN_ID}: capturing tool results to ${settings.outputPath} (memory backend ${b.memory_backend}, ${b.memory_backend_mode})`,
      );
    }
  },
};
