// The "clawmemory" context engine. Every method forwards to POST /v1/context/{method}.
//
// Failure policy (OpenClaw quarantines an engine that throws, for the life of the
// process, and falls back to "legacy"; a Gateway would then run without memory until
// restarted). So no method throws because the daemon is down:
//   bootstrap   -> {bootstrapped:false, reason}
//   assemble    -> the host's messages unchanged, with a token estimate
//   commitTurn  -> the turn is written to the local spool (replayed, idempotent on
//                  advancementKey) and "committed" is returned, so the host's outbox
//                  advances and the next turn is not degraded
//   afterTurn / ingest -> spooled
//   compact     -> delegated to OpenClaw's built-in compaction (as it also is when the
//                  daemon answers {delegate:true})
// A host abort (abortSignal) is re-thrown: OpenClaw does not quarantine for that.
import { toJsonSafe, estimateTokens } from "./json-safe.js";
import { loadHostSdkCore } from "./host-sdk.js";
import { PLUGIN_ID, PLUGIN_VERSION } from "./settings.js";
import { buildMemoryPromptSection } from "./prompt.js";

export const TRANSCRIPT_SEMANTICS = Object.freeze({
  currentTurnFence: "before-current-turn-entry-v1",
  turnAdvancementIdempotency: "atomic-idempotent-v1",
});

/** JSON-serialisable projection of a ContextEngine payload (abortSignal, functions dropped). */
export function projectParams(params) {
  const { abortSignal: _a, ...rest } = params ?? {};
  return toJsonSafe(rest) ?? {};
}

async function delegateCompaction(bridge, params, why) {
  try {
    const sdk = await loadHostSdkCore();
    if (typeof sdk?.delegateCompactionToRuntime === "function") {
      return await sdk.delegateCompactionToRuntime(params);
    }
    return { ok: false, compacted: false, reason: `clawmemory: ${why}; OpenClaw's built-in compaction could not be loaded` };
  } catch (err) {
    if (params?.abortSignal?.aborted) throw err;
    bridge.log.warnOnce("compact:delegate", `clawmemory: built-in compaction failed: ${err?.message ?? err}`);
    return { ok: false, compacted: false, reason: `clawmemory: ${why}; built-in compaction failed: ${err?.message ?? err}` };
  }
}

/**
 * The memory section for the system prompt. With a non-legacy context engine selected,
 * OpenClaw leaves it to the engine to include it (docs: plugins/architecture-internals/
 * context-engines): use the host's renderer (it knows every registered memory prompt
 * supplement), else our own builder.
 */
function memoryPromptAddition(sdk, params) {
  const args = {
    availableTools: params?.availableTools ?? new Set(),
    citationsMode: params?.citationsMode,
    agentSessionKey: params?.sessionKey,
  };
  try {
    if (typeof sdk?.buildMemorySystemPromptAddition === "function") {
      const out = sdk.buildMemorySystemPromptAddition(args);
      if (typeof out === "string") return out.trim();
    }
  } catch {
    /* fall back to ours */
  }
  return buildMemoryPromptSection(args).join("\n");
}

/**
 * Build the engine. Async so the host SDK is loaded before assemble() runs (its memory
 * prompt snapshot must be read synchronously while assemble is active).
 * @param {import("./bridge.js").Bridge} bridge
 */
export async function createContextEngine(bridge, fctx = {}) {
  const sdk = await loadHostSdkCore();
  if (!sdk) {
    bridge.log.warnOnce("sdk", "clawmemory: could not load openclaw/plugin-sdk/core from the host; using the plugin's own memory prompt, and /compact reports instead of delegating");
  }
  return buildContextEngine(bridge, fctx, sdk);
}

/** @param {import("./bridge.js").Bridge} bridge */
export function buildContextEngine(bridge, fctx = {}, sdk = null) {
  const s = bridge.settings;
  const envelope = (params) => {
    const { namespace, session } = bridge.identity(fctx, params ?? {});
    return { namespace, body: { namespace, session, params: projectParams(params) } };
  };

  return {
    info: {
      id: PLUGIN_ID,
      name: "clawmemory",
      version: PLUGIN_VERSION,
      ownsCompaction: false,
      transcriptSemantics: { ...TRANSCRIPT_SEMANTICS },
    },

    async bootstrap(params) {
      const { namespace, body } = envelope(params);
      const r = await bridge.call(namespace, "/v1/context/bootstrap", body, s.assembleTimeoutMs);
      if (r.ok && typeof r.data.bootstrapped === "boolean") return r.data;
      return { bootstrapped: false, reason: r.ok ? "clawmemory: unexpected bootstrap response" : `clawmemory unavailable: ${r.message}` };
    },

    async assemble(params) {
      const messages = params?.messages ?? [];
      const memorySection = memoryPromptAddition(sdk, params);
      const { namespace, body } = envelope(params);
      const r = await bridge.call(namespace, "/v1/context/assemble", body, s.assembleTimeoutMs);
      if (!r.ok) {
        const out = { messages, estimatedTokens: estimateTokens(messages) };
        if (memorySection) out.systemPromptAddition = memorySection;
        return out;
      }
      const d = r.data;
      // The daemon omits `messages` when it leaves them unchanged: keep the host's own
      // objects then (they may hold non-JSON parts).
      const out = { messages: Array.isArray(d.messages) ? d.messages : messages };
      out.estimatedTokens = typeof d.estimatedTokens === "number" ? d.estimatedTokens : estimateTokens(out.messages);
      const addition = [memorySection, typeof d.systemPromptAddition === "string" ? d.systemPromptAddition.trim() : ""]
        .filter(Boolean)
        .join("\n\n");
      if (addition) out.systemPromptAddition = addition;
      if (d.promptAuthority === "assembled" || d.promptAuthority === "preassembly_may_overflow") out.promptAuthority = d.promptAuthority;
      if (d.contextProjection && typeof d.contextProjection === "object") out.contextProjection = d.contextProjection;
      return out;
    },

    async commitTurn(params) {
      const { namespace, body } = envelope(params);
      const r = await bridge.durableCall(namespace, "/v1/context/commitTurn", body, s.commitTimeoutMs);
      if (r.ok && r.data.status === "duplicate") return { status: "duplicate" };
      return { status: "committed" };
    },

    async afterTurn(params) {
      const { namespace, body } = envelope(params);
      await bridge.durableCall(namespace, "/v1/context/afterTurn", body, s.commitTimeoutMs);
    },

    async ingest(params) {
      const { namespace, body } = envelope(params);
      const r = await bridge.durableCall(namespace, "/v1/context/ingest", body, s.commitTimeoutMs);
      return { ingested: r.ok ? r.data.ingested !== false : false };
    },

    async compact(params) {
      const { namespace, body } = envelope(params);
      const r = await bridge.call(namespace, "/v1/context/compact", body, s.commitTimeoutMs, params?.abortSignal);
      if (r.kind === "aborted") throw params?.abortSignal?.reason ?? new Error("compaction aborted");
      if (r.ok && r.data.delegate !== true && typeof r.data.ok === "boolean") return r.data;
      if (r.ok && r.data.delegate !== true) {
        bridge.log.warnOnce("compact:shape", "clawmemory: unexpected compact response from the daemon; using built-in compaction");
      }
      return delegateCompaction(bridge, params, r.ok ? "daemon delegated compaction" : `daemon unavailable (${r.message})`);
    },

    async dispose() {},
  };
}
