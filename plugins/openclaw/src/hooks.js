// Typed hooks: before_prompt_build (auto-recall, only when autoRecall is on), agent_end
// (ledger settlement; with autoCapture the run's messages, stored once by the daemon) and
// session_end. A hook never throws and never
// delays a turn by more than hookTimeoutMs; agent_end and session_end are spooled when the
// daemon is down so settlement still happens later.
import { toJsonSafe } from "./json-safe.js";

/** @param {import("./bridge.js").Bridge} bridge */
export function registerHooks(api, bridge) {
  const s = bridge.settings;

  if (s.autoRecall) {
    api.on("before_prompt_build", async (event, ctx) => {
      try {
        const { namespace, session } = bridge.identity(ctx ?? {});
        const ev = { prompt: event?.prompt ?? "" };
        if (typeof event?.currentUserMessage === "string") ev.currentUserMessage = event.currentUserMessage;
        const r = await bridge.call(namespace, "/v1/hooks/before_prompt_build", { namespace, session, event: ev }, s.hookTimeoutMs);
        // the daemon places the block (context.recallPlacement): with the user message, or
        // at the end of the system prompt
        const out = {};
        for (const k of ["prependContext", "appendSystemContext"]) {
          if (r.ok && typeof r.data[k] === "string" && r.data[k]) out[k] = r.data[k];
        }
        if (Object.keys(out).length) return out;
      } catch (err) {
        bridge.log.warnOnce("before_prompt_build:exception", `clawmemory: before_prompt_build failed open: ${err?.message ?? err}`);
      }
      return undefined;
    });
  }

  api.on("agent_end", async (event, ctx) => {
    try {
      const { namespace, session } = bridge.identity(ctx ?? {});
      // endedAt rides with a spooled replay, so a late one never settles a newer run's tickets
      const ev = { success: event?.success === true, endedAt: new Date().toISOString() };
      if (event?.error !== undefined) ev.error = String(event.error);
      if (typeof event?.durationMs === "number") ev.durationMs = event.durationMs;
      if (event?.runId) ev.runId = event.runId;
      if (s.autoCapture) {
        ev.capture = true;
        ev.messages = toJsonSafe(event?.messages ?? []);
      }
      if (Object.keys(s.ledger).length) ev.ledger = { ...s.ledger };
      await bridge.durableCall(namespace, "/v1/hooks/agent_end", { namespace, session, event: ev }, s.hookTimeoutMs);
    } catch (err) {
      bridge.log.warnOnce("agent_end:exception", `clawmemory: agent_end failed open: ${err?.message ?? err}`);
    }
  });

  api.on("session_end", async (event, ctx) => {
    try {
      const { namespace, session } = bridge.identity({ ...(ctx ?? {}), sessionId: event?.sessionId ?? ctx?.sessionId, sessionKey: event?.sessionKey ?? ctx?.sessionKey });
      await bridge.durableCall(namespace, "/v1/hooks/session_end", { namespace, session, event: toJsonSafe(event ?? {}) }, s.hookTimeoutMs);
    } catch (err) {
      bridge.log.warnOnce("session_end:exception", `clawmemory: session_end failed open: ${err?.message ?? err}`);
    }
  });
}
