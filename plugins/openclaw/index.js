// clawmemory plugin for OpenClaw (2026.9.x): memory tools, typed hooks, a context engine
// and a daemon service, all forwarded to the local clawmemory daemon over loopback HTTP.
// Plain object export (what definePluginEntry from openclaw/plugin-sdk/plugin-entry wraps),
// so the plugin needs no dependency on the openclaw package.
//
// register() runs several times per process (discovery passes and the real runtime):
// it only builds small objects and registers callbacks; it does no I/O.
import { PLUGIN_ID, resolveSettings } from "./src/settings.js";
import { Bridge } from "./src/bridge.js";
import { registerTools } from "./src/tools.js";
import { registerHooks } from "./src/hooks.js";
import { createContextEngine } from "./src/context-engine.js";
import { DaemonSupervisor } from "./src/daemon-service.js";
import { buildMemoryPromptSection } from "./src/prompt.js";

const bridges = new Map(); // one Bridge per distinct settings, shared across register() calls
const announced = new Set(); // each distinct activation message once per process

function bridgeFor(api) {
  const settings = resolveSettings(api.pluginConfig);
  const key = JSON.stringify(settings);
  let b = bridges.get(key);
  if (!b) {
    b = new Bridge(settings, api.logger);
    bridges.set(key, b);
  }
  return b;
}

/** One line per process: active with which slots, or a warning that neither slot selects us. */
function announce(api, bridge) {
  if (api.registrationMode !== "full") return;
  const slots = api.config?.plugins?.slots ?? {};
  const memory = slots.memory ?? "memory-core";
  const engine = slots.contextEngine ?? "legacy";
  const s = bridge.settings;
  let level = "info";
  let msg;
  if (memory !== PLUGIN_ID && engine !== PLUGIN_ID) {
    level = "warn";
    msg =
      `clawmemory: plugin loaded but selected in neither slot (plugins.slots.memory="${memory}", plugins.slots.contextEngine="${engine}"); ` +
      `only its tools are active. Run \`clawmemory openclaw install\` to select it.`;
  } else {
    const which = [memory === PLUGIN_ID && "memory", engine === PLUGIN_ID && "contextEngine"].filter(Boolean).join("+");
    msg = `clawmemory: active plugin=${PLUGIN_ID} slots=${which} dataDir=${s.dataDir} daemonUrl=${s.daemonUrl}`;
  }
  if (announced.has(msg)) return;
  announced.add(msg);
  api.logger[level](msg);
}

export default {
  id: PLUGIN_ID,
  name: "clawmemory",
  description: "Long-term memory and context engine backed by the local clawmemory daemon",
  register(api) {
    const bridge = bridgeFor(api);

    registerTools(api, bridge);
    registerHooks(api, bridge);

    api.registerContextEngine(PLUGIN_ID, (fctx) => createContextEngine(bridge, fctx ?? {}));

    if (typeof api.registerMemoryCapability === "function") {
      api.registerMemoryCapability({ promptBuilder: (params) => buildMemoryPromptSection(params) });
    }

    let supervisor;
    api.registerService({
      id: "clawmemory-daemon",
      start: async () => {
        supervisor = new DaemonSupervisor(bridge);
        try {
          await supervisor.start();
        } catch (err) {
          bridge.log.warnOnce("service:start", `clawmemory: daemon service failed to start: ${err?.message ?? err}`);
        }
      },
      stop: async () => {
        await supervisor?.stop().catch(() => {});
        supervisor = undefined;
      },
    });

    announce(api, bridge);
  },
};
