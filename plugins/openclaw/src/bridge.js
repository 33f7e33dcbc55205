// The one object every part of the plugin talks through: settings, the daemon client,
// the durable spool and a rate-limited logger. Fail-open lives here.
import { DaemonClient, makeRateLimitedLogger } from "./client.js";
import { Spool } from "./spool.js";
import { namespaceFor, agentIdFromSessionKey, agentIdFromAgentDir } from "./settings.js";

export class Bridge {
  constructor(settings, logger) {
    this.settings = settings;
    this.log = makeRateLimitedLogger(logger);
    this.client = new DaemonClient(settings);
    this.spool = new Spool(settings.spoolDir);
  }

  /** Namespace and session identity for a call from whatever context OpenClaw gave us. */
  identity(ctx = {}, params = {}) {
    const agentId =
      ctx.agentId ??
      params.agentId ??
      params.sessionTarget?.agentId ??
      agentIdFromSessionKey(ctx.sessionKey ?? params.sessionKey) ??
      agentIdFromAgentDir(ctx.agentDir) ??
      "main";
    const session = {
      sessionKey: ctx.sessionKey ?? params.sessionKey,
      sessionId: ctx.sessionId ?? params.sessionId,
      agentId,
      workspaceDir: ctx.workspaceDir ?? params.workspaceDir,
    };
    for (const k of Object.keys(session)) if (session[k] === undefined) delete session[k];
    return { namespace: namespaceFor(this.settings, agentId), session };
  }

  /** Log one warning per (what, failure code) per minute. */
  warnFailure(what, r) {
    if (r.kind === "aborted") return;
    this.log.warnOnce(`${what}:${r.code}`, `clawmemory: ${what} failed open (${r.code}): ${r.message}. Run \`clawmemory doctor\`.`);
  }

  /** A plain call: POST and report. */
  async call(namespace, path, body, timeoutMs, signal) {
    const r = await this.client.post(namespace, path, body, { timeoutMs, signal });
    if (!r.ok) this.warnFailure(path, r);
    return r;
  }

  /** A plain read: GET and report (no namespace involved). */
  async read(path, query, timeoutMs, signal) {
    const r = await this.client.get(path, query, { timeoutMs, signal });
    if (!r.ok) this.warnFailure(path, r);
    return r;
  }

  /**
   * A call that must reach the daemon eventually. Order is kept: queued entries are sent
   * first; if the daemon is unavailable the call is spooled and `spooled: true` returned.
   */
  async durableCall(namespace, path, body, timeoutMs) {
    if (this.spool.size() > 0) {
      const d = await this.drainSpool(timeoutMs);
      if (d.remaining > 0) return this._spool(namespace, path, body, d.failure);
    }
    const r = await this.client.post(namespace, path, body, { timeoutMs });
    if (r.ok || r.kind === "rejected") {
      if (!r.ok) this.warnFailure(path, r);
      return r;
    }
    return this._spool(namespace, path, body, r);
  }

  _spool(namespace, path, body, failure) {
    const spooled = this.spool.add(namespace, path, body);
    const f = failure ?? { code: "unavailable", message: "daemon unavailable", kind: "unavailable" };
    this.log.warnOnce(
      `spool:${path}:${f.code}`,
      spooled
        ? `clawmemory: daemon unavailable (${f.message}); ${path} queued in ${this.settings.spoolDir} and will be replayed`
        : `clawmemory: daemon unavailable (${f.message}) and the spool at ${this.settings.spoolDir} is not writable; ${path} was dropped`,
    );
    return { ok: false, kind: "unavailable", code: f.code, message: f.message, spooled };
  }

  async drainSpool(timeoutMs = this.settings.commitTimeoutMs) {
    const d = await this.spool.drain(this.client, timeoutMs, (entry, r) =>
      this.log.warnOnce(`spool-drop:${entry.path}`, `clawmemory: daemon rejected a queued ${entry.path} (${r.code}: ${r.message}); dropped it`),
    );
    if (d.sent > 0) this.log.info(`clawmemory: replayed ${d.sent} queued call(s) to the daemon`);
    return { ...d, failure: this.client.lastFailure };
  }
}
