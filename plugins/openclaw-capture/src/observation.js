// Build one observation line from a tool_result_persist event. Bounded work: only the first
// maxResultChars (+ a margin for redaction) of a result are ever looked at, so a 10 MB tool
// output costs the same as a 10 KB one.
import { redact, RULES_VERSION } from "./redact.js";
import { memoryOperation } from "./annotate.js";

export const SUMMARY_CHARS = 240;
// Extra characters read past the cut so a secret straddling it is still recognised whole.
const REDACT_MARGIN = 512;

/**
 * Text of a tool-result message, at most `limit` characters, and its full length.
 * Text parts are joined with newlines; other parts appear as "[image]", "[<type>]".
 * @returns {{text: string, chars: number}}
 */
export function resultText(message, limit) {
  const content = message?.content;
  if (typeof content === "string") return { text: cut(content, limit), chars: content.length };
  let text = "";
  let chars = 0;
  if (Array.isArray(content)) {
    for (const part of content) {
      let piece;
      if (typeof part === "string") piece = part;
      else if (part && typeof part.text === "string") piece = part.text;
      else piece = `[${part?.type ?? "part"}]`;
      const sep = chars > 0 ? 1 : 0;
      chars += sep + piece.length;
      if (text.length < limit) text += (sep ? "\n" : "") + cut(piece, limit - text.length - sep);
    }
  }
  if (chars === 0 && message?.details !== undefined) {
    let s;
    try {
      s = JSON.stringify(message.details);
    } catch {
      s = undefined;
    }
    if (typeof s === "string") return { text: cut(s, limit), chars: s.length };
  }
  return { text: cut(text, limit), chars };
}

/** The first `n` UTF-16 units of `s`, never ending in half of a surrogate pair (an emoji). */
export function cut(s, n) {
  if (s.length <= n) return s;
  const code = s.charCodeAt(n - 1);
  return s.slice(0, code >= 0xd800 && code <= 0xdbff ? n - 1 : n);
}

function oneLine(text, max) {
  const s = cut(text, max * 2).replace(/\s+/g, " ").trim();
  return s.length <= max ? s : cut(s, max - 1) + "…";
}

/** Agent id from a session key "agent:<agentId>:<rest>". */
export function agentIdFromSessionKey(sessionKey) {
  if (typeof sessionKey !== "string") return undefined;
  const m = /^agent:([^:]+):/.exec(sessionKey);
  return m ? m[1] : undefined;
}

const str = (...values) => values.find((v) => typeof v === "string" && v !== "");

/**
 * The observation for one tool result.
 * @param {object} event  {toolName?, toolCallId?, message, isSynthetic?}
 * @param {object} ctx    {agentId?, sessionKey?, toolName?, toolCallId?}
 * @param {object} settings  resolved plugin settings
 * @param {object} backend   resolveBackend() output
 * @param {Date} [now]
 */
export function buildObservation(event, ctx, settings, backend, now = new Date()) {
  const message = event?.message;
  const toolName = str(event?.toolName, ctx?.toolName, message?.toolName) ?? "unknown";
  const sessionKey = str(ctx?.sessionKey) ?? null;
  const max = settings.maxResultChars;
  const { text: raw, chars } = resultText(message, Math.max(max, SUMMARY_CHARS) + REDACT_MARGIN);
  const clean = redact(raw);
  const isError = message?.isError === true;
  const head = oneLine(clean, Math.max(40, SUMMARY_CHARS - toolName.length - 8));
  const summary = `${toolName}${isError ? " error" : ""}: ${head || "(no text output)"}`;
  const kept = cut(clean, max);
  const detail = { ...backend };
  if (settings.annotateMemoryTools) {
    const isMemory = settings.memoryToolNames.has(toolName);
    detail.memory_tool = isMemory;
    const op = isMemory ? memoryOperation(toolName) : undefined;
    if (op) detail.memory_operation = op;
  }
  return {
    v: 1,
    ts: now.toISOString(),
    kind: "tool",
    tool_name: toolName,
    tool_call_id: str(event?.toolCallId, ctx?.toolCallId, message?.toolCallId) ?? null,
    session_key: sessionKey,
    agent_id: str(ctx?.agentId, agentIdFromSessionKey(sessionKey)) ?? null,
    is_synthetic: event?.isSynthetic === true,
    is_error: isError,
    summary,
    result: kept,
    result_chars: chars,
    result_truncated: chars > raw.length || clean.length > max,
    redaction: RULES_VERSION, // the rules these fields were redacted with (ingest trusts only its own)
    detail,
  };
}
