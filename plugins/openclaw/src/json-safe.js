// Turn OpenClaw payloads into plain JSON: drop functions, AbortSignals, symbols and
// undefined; Sets become arrays, Maps objects, BigInts strings, Errors {name, message};
// cycles become "[circular]".

export function toJsonSafe(value, seen = new WeakSet()) {
  if (value === null) return null;
  const t = typeof value;
  if (t === "string" || t === "boolean") return value;
  if (t === "number") return Number.isFinite(value) ? value : null;
  if (t === "bigint") return value.toString();
  if (t === "function" || t === "symbol" || t === "undefined") return undefined;
  if (typeof AbortSignal !== "undefined" && value instanceof AbortSignal) return undefined;
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return undefined;
  if (seen.has(value)) return "[circular]";
  seen.add(value);
  try {
    if (Array.isArray(value) || value instanceof Set) {
      const out = [];
      for (const v of value) {
        const j = toJsonSafe(v, seen);
        out.push(j === undefined ? null : j);
      }
      return out;
    }
    const out = {};
    const entries = value instanceof Map ? value.entries() : Object.entries(value);
    for (const [k, v] of entries) {
      const j = toJsonSafe(v, seen);
      if (j !== undefined) out[String(k)] = j;
    }
    return out;
  } finally {
    seen.delete(value);
  }
}

/** Rough token estimate for messages: ~4 characters of JSON per token. */
export function estimateTokens(messages) {
  try {
    return Math.ceil(JSON.stringify(toJsonSafe(messages ?? [])).length / 4);
  } catch {
    return 0;
  }
}
