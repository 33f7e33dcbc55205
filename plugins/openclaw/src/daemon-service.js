// Gateway service: make sure a clawmemory daemon answers. If none does and startDaemon is
// on, spawn `clawmemory serve --port P --data-dir D` as a child of the Gateway (not
// detached), restart it with exponential backoff when it exits, replay the spool when the
// daemon is back, and stop the child when the service stops.
import fs from "node:fs";
import path from "node:path";
import { spawn as nodeSpawn } from "node:child_process";

const TICK_MS = 15_000;
const MAX_BACKOFF_MS = 60_000;
const HEALTHY_RUN_MS = 60_000;
const START_WAIT_MS = 20_000;
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

export class DaemonSupervisor {
  /**
   * @param {import("./bridge.js").Bridge} bridge
   * @param {{spawn?: typeof nodeSpawn, tickMs?: number}} [opts]
   */
  constructor(bridge, opts = {}) {
    this.bridge = bridge;
    this.spawnImpl = opts.spawn ?? nodeSpawn;
    this.tickMs = opts.tickMs ?? TICK_MS;
    this.active = false;
    this.child = null;
    this.failures = 0;
    this.restartTimer = null;
    this.tickTimer = null;
    this._onProcessExit = () => this.child?.kill("SIGTERM");
  }

  get log() {
    return this.bridge.log;
  }

  /** Where and how to spawn, or a reason we must not. */
  spawnPlan() {
    const s = this.bridge.settings;
    let url;
    try {
      url = new URL(s.daemonUrl);
    } catch {
      return { error: `daemonUrl ${s.daemonUrl} is not a URL` };
    }
    if (url.protocol !== "http:" || !LOOPBACK.has(url.hostname)) {
      return { error: `daemonUrl ${s.daemonUrl} is not a loopback http URL; start the daemon yourself` };
    }
    const port = url.port || "80";
    return { command: s.clawmemoryCommand, args: ["serve", "--port", port, "--data-dir", s.dataDir] };
  }

  async start() {
    this.active = true;
    process.once("exit", this._onProcessExit);
    const s = this.bridge.settings;
    const h = await this.bridge.client.health();
    if (h.ok) {
      this.log.info(`clawmemory: daemon already running at ${s.daemonUrl} (version ${h.data?.version ?? "?"})`);
      await this._drain();
    } else if (!s.startDaemon) {
      this.log.warnOnce("service:nodaemon", `clawmemory: no daemon answers at ${s.daemonUrl} and startDaemon is false; memory is unavailable until \`clawmemory serve\` runs`);
    } else {
      await this._spawn();
    }
    this.tickTimer = setInterval(() => void this._tick(), this.tickMs);
    this.tickTimer.unref?.();
  }

  async stop() {
    this.active = false;
    process.removeListener("exit", this._onProcessExit);
    clearInterval(this.tickTimer);
    clearTimeout(this.restartTimer);
    this.tickTimer = this.restartTimer = null;
    const child = this.child;
    if (!child) return;
    await new Promise((resolve) => {
      const kill = setTimeout(() => child.kill("SIGKILL"), 5000);
      child.once("exit", () => {
        clearTimeout(kill);
        resolve();
      });
      if (!child.kill("SIGTERM")) {
        clearTimeout(kill);
        resolve();
      }
    });
    this.child = null;
  }

  async _tick() {
    if (!this.active || this.restartTimer) return;
    const h = await this.bridge.client.health();
    if (h.ok) return this._drain();
    if (!this.child && this.bridge.settings.startDaemon) await this._spawn();
  }

  async _drain() {
    if (this.bridge.spool.size() > 0) await this.bridge.drainSpool();
  }

  _scheduleRestart(reason) {
    if (!this.active || this.restartTimer) return;
    const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(this.failures, 6));
    this.failures++;
    this.log.warnOnce(`service:restart:${reason}`, `clawmemory: daemon ${reason}; restarting in ${Math.round(delay / 1000)}s`);
    this.restartTimer = setTimeout(async () => {
      this.restartTimer = null;
      if (!this.active) return;
      const h = await this.bridge.client.health();
      if (h.ok) return this._drain(); // someone else started one
      await this._spawn();
    }, delay);
    this.restartTimer.unref?.();
  }

  async _spawn() {
    const s = this.bridge.settings;
    const plan = this.spawnPlan();
    if (plan.error) {
      this.log.warnOnce("service:plan", `clawmemory: not starting a daemon: ${plan.error}`);
      return;
    }
    let out = "ignore";
    try {
      fs.mkdirSync(path.join(s.dataDir, "logs"), { recursive: true, mode: 0o700 });
      out = fs.openSync(path.join(s.dataDir, "logs", "daemon.log"), "a", 0o600);
    } catch {
      /* run without a log file */
    }
    const startedAt = Date.now();
    let child;
    try {
      child = this.spawnImpl(plan.command, plan.args, {
        stdio: ["ignore", out, out],
        env: { ...process.env, CLAWMEMORY_HOME: s.dataDir },
        detached: false,
      });
    } catch (err) {
      if (typeof out === "number") fs.closeSync(out);
      this.log.warnOnce("service:spawn", `clawmemory: could not start \`${plan.command}\`: ${err?.message ?? err}`);
      this._scheduleRestart("could not be started");
      return;
    }
    if (typeof out === "number") fs.closeSync(out); // the child holds its own copy
    this.child = child;
    child.once("error", (err) => {
      if (this.child === child) this.child = null;
      const hint = err?.code === "ENOENT" ? ` (not found; install clawmemory or set plugins.entries.clawmemory.config.clawmemoryCommand)` : "";
      this.log.warnOnce(`service:error:${err?.code}`, `clawmemory: could not run \`${plan.command}\`${hint}: ${err?.message ?? err}`);
      this._scheduleRestart("could not be started");
    });
    child.once("exit", (code, signal) => {
      if (this.child === child) this.child = null;
      if (!this.active) return;
      if (Date.now() - startedAt >= HEALTHY_RUN_MS) this.failures = 0;
      this._scheduleRestart(`exited (${signal ?? `code ${code}`}); see ${path.join(s.dataDir, "logs", "daemon.log")}`);
    });
    const deadline = Date.now() + START_WAIT_MS;
    while (this.active && this.child === child && Date.now() < deadline) {
      const h = await this.bridge.client.health(1000);
      if (h.ok) {
        this.log.info(`clawmemory: started daemon pid ${child.pid} at ${s.daemonUrl} (data dir ${s.dataDir})`);
        await this._drain();
        return;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
