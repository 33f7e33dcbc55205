// Resolved plugin settings: plugins.entries.clawmemory.config + environment + defaults.
import os from "node:os";
import path from "node:path";

export const PLUGIN_ID = "clawmemory";
export const PLUGIN_VERSION = "0.1.0";
export const DEFAULT_DAEMON_URL = "http://127.0.0.1:7411";

export const DEFAULTS = Object.freeze({
  toolTimeoutMs: 10000,
  hookTimeoutMs: 3000,
  assembleTimeoutMs: 2000,
  commitTimeoutMs: 10000,
  autoRecall: false,
  autoCapture: true,
  namespaceRule: "agent",
  startDaemon: true,
});

function expandHome(p) {
  if (typeof p !== "string" || p === "") return p;
  if (p === "~") return os.homedir();
  if (p.startsWith("~/")) return path.join(os.homedir(), p.slice(2));
  return p;
}

/**
 * Build the settings object from the plugin config.
 * @param {Record<string, unknown> | undefined} pluginConfig  plugins.entries.clawmemory.config
 * @param {NodeJS.ProcessEnv} env
 */
export function resolveSettings(pluginConfig, env = process.env) {
  const c = pluginConfig && typeof pluginConfig === "object" ? pluginConfig : {};
  const dataDir = path.resolve(expandHome(c.dataDir || env.CLAWMEMORY_HOME || path.join(os.homedir(), ".clawmemory")));
  const daemonUrl = String(c.daemonUrl || env.CLAWMEMORY_URL || DEFAULT_DAEMON_URL).replace(/\/+$/, "");
  const ledger = {};
  for (const k of ["successDelta", "failureDelta", "resourceScale"]) {
    if (typeof c[k] === "number" && Number.isFinite(c[k])) ledger[k] = c[k];
  }
  const pick = (k) => (c[k] === undefined || c[k] === null ? DEFAULTS[k] : c[k]);
  return {
    daemonUrl,
    dataDir,
    tokenFile: path.resolve(expandHome(c.tokenFile || path.join(dataDir, "token"))),
    toolTimeoutMs: pick("toolTimeoutMs"),
    hookTimeoutMs: pick("hookTimeoutMs"),
    assembleTimeoutMs: pick("assembleTimeoutMs"),
    commitTimeoutMs: pick("commitTimeoutMs"),
    autoRecall: pick("autoRecall") === true,
    autoCapture: pick("autoCapture") !== false,
    namespaceRule: String(pick("namespaceRule")),
    startDaemon: pick("startDaemon") !== false,
    clawmemoryCommand: c.clawmemoryCommand ? expandHome(String(c.clawmemoryCommand)) : "clawmemory",
    ledger,
    spoolDir: path.join(dataDir, "spool", "openclaw"),
  };
}

const NS_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** Make any string a valid namespace name: lowercase [a-z0-9][a-z0-9._-]{0,63}. */
export function sanitizeNamespace(raw, fallback = "main") {
  let s = String(raw ?? "").toLowerCase().replace(/[^a-z0-9._-]+/g, "-");
  s = s.replace(/^[^a-z0-9]+/, "").slice(0, 64).replace(/[-._]+$/, "");
  return NS_RE.test(s) ? s : fallback;
}

/** Agent id from a session key of the form "agent:<agentId>:<rest>". */
export function agentIdFromSessionKey(sessionKey) {
  if (typeof sessionKey !== "string") return undefined;
  const m = /^agent:([^:]+):/.exec(sessionKey);
  return m ? m[1] : undefined;
}

/** Agent id from an agent dir of the form ".../agents/<agentId>/agent". */
export function agentIdFromAgentDir(agentDir) {
  if (typeof agentDir !== "string") return undefined;
  const parts = agentDir.split(/[\\/]+/).filter(Boolean);
  const i = parts.lastIndexOf("agents");
  return i >= 0 && parts[i + 1] ? parts[i + 1] : undefined;
}

/** Namespace for a call, from the namespaceRule and the agent id. */
export function namespaceFor(settings, agentId) {
  const rule = settings.namespaceRule || "agent";
  if (rule.startsWith("fixed:")) return sanitizeNamespace(rule.slice("fixed:".length), "default");
  return sanitizeNamespace(agentId || "main", "main");
}
