// Where lines go and how they are written: synchronously (the hook is synchronous), one
// appendFileSync per line, so a rotated or deleted file is simply re-created and a line is
// on disk (page cache) before the tool result is persisted.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

function expandHome(p) {
  if (p === "~") return os.homedir();
  if (p.startsWith("~/")) return path.join(os.homedir(), p.slice(2));
  return p;
}

function stateDir(env) {
  if (env.OPENCLAW_STATE_DIR) return expandHome(env.OPENCLAW_STATE_DIR);
  return path.join(env.OPENCLAW_HOME ? expandHome(env.OPENCLAW_HOME) : os.homedir(), ".openclaw");
}

/**
 * The agent's workspace: OpenClaw's own resolver when the host offers it
 * (api.runtime.agent.resolveAgentWorkspaceDir), else the config's agent or default
 * workspace, else <state dir>/workspace.
 */
export function workspaceDir(api, config, agentId, env = process.env) {
  try {
    const resolver = api?.runtime?.agent?.resolveAgentWorkspaceDir;
    if (typeof resolver === "function" && config) {
      const dir = resolver(config, agentId || "main", env);
      if (typeof dir === "string" && dir) return dir;
    }
  } catch {
    /* fall back below */
  }
  const agents = config?.agents;
  const own = Array.isArray(agents?.list) ? agents.list.find((a) => a?.id === agentId)?.workspace : undefined;
  const configured = [own, agents?.defaults?.workspace].find((w) => typeof w === "string" && w.trim());
  return configured ? path.resolve(expandHome(configured.trim())) : path.join(stateDir(env), "workspace");
}

/** Appends lines to per-agent files, resolving each file once per config. */
export class LineWriter {
  constructor(api, settings) {
    this.api = api;
    this.settings = settings;
    this._files = new Map(); // agentId -> {agents, file}
    this._dirs = new Set();
  }

  fileFor(config, agentId) {
    const key = agentId || "";
    const agents = config?.agents; // the workspace depends on this section only
    const hit = this._files.get(key);
    if (hit && hit.agents === agents) return hit.file;
    const out = expandHome(this.settings.outputPath);
    const file = path.isAbsolute(out) ? out : path.join(workspaceDir(this.api, config, agentId), out);
    this._files.set(key, { agents, file });
    return file;
  }

  /** Append one line (the text must end with "\n"). Throws on I/O errors. */
  append(file, text) {
    const dir = path.dirname(file);
    if (!this._dirs.has(dir)) {
      fs.mkdirSync(dir, { recursive: true });
      this._dirs.add(dir);
    }
    try {
      fs.appendFileSync(file, text, { encoding: "utf8", mode: 0o600 });
    } catch (err) {
      if (err?.code !== "ENOENT") throw err;
      fs.mkdirSync(dir, { recursive: true }); // the directory went away: make it again, once
      fs.appendFileSync(file, text, { encoding: "utf8", mode: 0o600 });
    }
  }
}
