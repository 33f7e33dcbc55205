// HTTP client for the clawmemory daemon. Never throws: every call resolves to
//   { ok: true, status, data }  or  { ok: false, kind, status?, code, message, field? }
// with kind "unavailable" (network error, timeout, 5xx, 401, route missing) or "rejected"
// (any other 4xx: the request itself was bad) or "aborted" (the host cancelled).
import fs from "node:fs";

const WARN_INTERVAL_MS = 60_000;

/** A logger wrapper that emits each distinct key at most once per interval. */
export function makeRateLimitedLogger(logger, intervalMs = WARN_INTERVAL_MS) {
  const last = new Map();
  const log = logger ?? console;
  return {
    info: (msg) => log.info?.(msg),
    debug: (msg) => (log.debug ?? (() => {}))(msg),
    error: (msg) => (log.error ?? log.warn)?.(msg),
    warnOnce(key, msg) {
      const now = Date.now();
      const prev = last.get(key);
      if (prev !== undefined && now - prev < intervalMs) return false;
      last.set(key, now);
      log.warn?.(msg);
      return true;
    },
  };
}

function describeFetchError(err) {
  if (err?.name === "TimeoutError") return "timed out";
  const cause = err?.cause;
  const code = cause?.code ?? err?.code;
  if (code === "ECONNREFUSED") return "connection refused";
  if (code) return `${code}${cause?.message ? ` (${cause.message})` : ""}`;
  return err?.message ?? String(err);
}

export class DaemonClient {
  /**
   * @param {{daemonUrl: string, tokenFile: string}} settings
   */
  constructor(settings) {
    this.baseUrl = settings.daemonUrl;
    this.tokenFile = settings.tokenFile;
    this._token = undefined;
    this._ensured = new Set();
    this.lastOkAt = 0;
    this.lastFailure = undefined;
  }

  _readToken(force = false) {
    if (this._token !== undefined && !force) return this._token;
    try {
      this._token = fs.readFileSync(this.tokenFile, "utf8").trim() || null;
    } catch {
      this._token = null;
    }
    return this._token;
  }

  /**
   * One HTTP request. Resolves, never rejects.
   * @param {string} method
   * @param {string} path  e.g. "/v1/tools/memory_recall"
   * @param {unknown} [body]
   * @param {{timeoutMs?: number, signal?: AbortSignal, auth?: boolean}} [opts]
   */
  async request(method, path, body, opts = {}) {
    const { timeoutMs = 5000, signal, auth = true } = opts;
    let retriedAuth = false;
    for (;;) {
      const headers = { accept: "application/json" };
      if (body !== undefined) headers["content-type"] = "application/json";
      if (auth) {
        const token = this._readToken();
        if (token) headers.authorization = `Bearer ${token}`;
      }
      const timeout = AbortSignal.timeout(timeoutMs);
      const sig = signal ? AbortSignal.any([timeout, signal]) : timeout;
      let res;
      try {
        res = await fetch(this.baseUrl + path, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: sig,
        });
      } catch (err) {
        if (signal?.aborted) return { ok: false, kind: "aborted", code: "aborted", message: "cancelled by OpenClaw" };
        return this._fail({ kind: "unavailable", code: "unreachable", message: `daemon not reachable at ${this.baseUrl}: ${describeFetchError(err)}` });
      }
      let data;
      const text = await res.text().catch(() => "");
      try {
        data = text ? JSON.parse(text) : {};
      } catch {
        data = undefined;
      }
      if (res.ok) {
        this.lastOkAt = Date.now();
        this.lastFailure = undefined;
        return { ok: true, status: res.status, data: data ?? {} };
      }
      if (res.status === 401 && auth && !retriedAuth) {
        retriedAuth = true; // the daemon may have rotated its token: re-read once
        this._readToken(true);
        continue;
      }
      const err = data && typeof data === "object" && data.error && typeof data.error === "object" ? data.error : {};
      const message = err.message || `HTTP ${res.status}${text && !data ? `: ${text.slice(0, 200)}` : ""}`;
      if (res.status === 401) {
        return this._fail({ kind: "unavailable", status: 401, code: "unauthorized", message: `daemon rejected the token from ${this.tokenFile}: ${message}` });
      }
      // A missing route (older daemon, or a route not implemented yet) means the feature
      // is unavailable, not that the request was wrong.
      const noRoute = res.status === 404 && (!err.code || err.code === "route_not_found" || err.message === "Not Found");
      if (res.status >= 500 || noRoute || res.status === 405) {
        return this._fail({ kind: "unavailable", status: res.status, code: err.code || `http_${res.status}`, message: `daemon error at ${path}: ${message}` });
      }
      return { ok: false, kind: "rejected", status: res.status, code: err.code || `http_${res.status}`, message, field: err.field };
    }
  }

  _fail(f) {
    this.lastFailure = { ...f, at: Date.now() };
    return { ok: false, ...f };
  }

  /** GET /health (no auth). */
  health(timeoutMs = 1500) {
    return this.request("GET", "/health", undefined, { timeoutMs, auth: false });
  }

  /** PUT /v1/namespaces/{name} once per process per namespace. */
  async ensureNamespace(ns, timeoutMs) {
    if (this._ensured.has(ns)) return { ok: true };
    const r = await this.request("PUT", `/v1/namespaces/${encodeURIComponent(ns)}`, {}, { timeoutMs });
    if (r.ok) this._ensured.add(ns);
    return r;
  }

  /** GET path with the defined, non-empty `query` values as a query string. */
  get(path, query = {}, opts) {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== "") qs.set(k, String(v));
    const q = qs.toString();
    return this.request("GET", q ? `${path}?${q}` : path, undefined, opts);
  }

  /** Ensure the namespace, then POST. */
  async post(ns, path, body, opts) {
    const e = await this.ensureNamespace(ns, opts?.timeoutMs);
    if (!e.ok) return e;
    return this.request("POST", path, body, opts);
  }
}
