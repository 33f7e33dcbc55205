// Durable local spool for calls that must not be lost while the daemon is down
// (commitTurn, agent_end settlement, session_end, afterTurn, ingest). Each entry is one
// JSON file {path, body, namespace, spooledAt}; files are replayed in name order, and
// replays are idempotent on the daemon side (commitTurn keys on advancementKey).
import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";

const MAX_FILES = 2000;
const MAX_BYTES = 256 * 1024 * 1024;

export class Spool {
  constructor(dir) {
    this.dir = dir;
    this._seq = 0;
    this._draining = undefined;
  }

  _files() {
    try {
      return fs.readdirSync(this.dir).filter((f) => f.endsWith(".json")).sort();
    } catch {
      return [];
    }
  }

  size() {
    return this._files().length;
  }

  /** Write one entry atomically. Returns true when it is on disk. */
  add(namespace, apiPath, body) {
    try {
      fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      const files = this._files();
      if (files.length >= MAX_FILES) {
        for (const f of files.slice(0, files.length - MAX_FILES + 1)) fs.rmSync(path.join(this.dir, f), { force: true });
      }
      const data = JSON.stringify({ namespace, path: apiPath, body, spooledAt: new Date().toISOString() });
      if (data.length > MAX_BYTES) return false;
      const name = `${Date.now().toString().padStart(15, "0")}-${String(this._seq++).padStart(6, "0")}-${crypto.randomBytes(4).toString("hex")}.json`;
      const tmp = path.join(this.dir, `.${name}.tmp`);
      fs.writeFileSync(tmp, data, { mode: 0o600 });
      fs.renameSync(tmp, path.join(this.dir, name));
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Replay entries in order through client.post. Stops at the first "unavailable"
   * failure; drops entries the daemon rejects (4xx) so one bad entry cannot block the rest.
   * @returns {Promise<{sent: number, dropped: number, remaining: number}>}
   */
  drain(client, timeoutMs, onDrop) {
    if (this._draining) return this._draining;
    this._draining = (async () => {
      let sent = 0;
      let dropped = 0;
      for (const f of this._files()) {
        const p = path.join(this.dir, f);
        let entry;
        try {
          entry = JSON.parse(fs.readFileSync(p, "utf8"));
        } catch {
          fs.rmSync(p, { force: true });
          dropped++;
          continue;
        }
        const r = await client.post(entry.namespace, entry.path, entry.body, { timeoutMs });
        if (!r.ok && r.kind !== "rejected") break;
        if (!r.ok) {
          dropped++;
          onDrop?.(entry, r);
        } else {
          sent++;
        }
        fs.rmSync(p, { force: true });
      }
      return { sent, dropped, remaining: this.size() };
    })().finally(() => {
      this._draining = undefined;
    });
    return this._draining;
  }
}
