import { z } from "zod";
import { CATEGORIES } from "../../ingest/formats.js";
import { renderMessages } from "../../prompts/registry.js";
import { defineTool, toLangChainTool } from "../../tools/define-tool.js";
import { ARCHETYPE_NAMES } from "../../tools/segment-naming.js";
import { redactPii } from "../llm/redact.js";
import type { LlmFallbackKind } from "../../guardrails/audit-entries.js";
import { llmFailureKind } from "../llm/errors.js";
import type { LlmToolClient } from "../llm/types.js";
import { intentSchema } from "./contract.js";
import { PARAMS_SCHEMAS } from "./params.js";
import type { Understood } from "./state.js";
import { campaignWindow, pastPeriod, singleDay, untilDay } from "./understanding/dates.js";
import { understandOffline } from "./understanding/understand-offline.js";

/** The dates tool the model may call: Pulse's own calendar arithmetic, so the model never counts days. */
export function createResolveDatesTool(now: Date) {
  const def = defineTool({
    name: "resolve_dates",
    description:
      "Turns a phrase about time into calendar days (YYYY-MM-DD, UTC). kind: window (a campaign's start and end), until (the day a pause ends), past (a period to report on), day (one day).",
    input: z.object({ phrase: z.string().min(1).max(200), kind: z.enum(["window", "until", "past", "day"]) }),
    output: z.object({ start: z.string().optional(), end: z.string().optional(), day: z.string().optional() }),
    fn: ({ phrase, kind }) => {
      const text = phrase.toLowerCase();
      if (kind === "window") return campaignWindow(text, now) ?? {};
      if (kind === "past") return pastPeriod(text, now) ?? {};
      const d = kind === "until" ? untilDay(text, now) : singleDay(text, now);
      return d ? { day: d } : {};
    },
  });
  return toLangChainTool(def);
}

/** Model turns one request may take (tool calls and re-asks after invalid answers included). */
export const UNDERSTAND_MAX_STEPS = 4;

const answerSchema = z.object({ intent: intentSchema, params: z.record(z.string(), z.unknown()).default({}) });

/**
 * Understands a request: by the LLM when one is configured (tool calling, the answer parsed with
 * zod, its parameters checked against the intent's schema), falling back to the offline
 * understanding when there is no LLM or its answer cannot be used.
 */
export async function understandRequest(text: string, options: { now: Date; llm?: LlmToolClient }): Promise<Understood> {
  const offline = async (fallback?: { reason: string; kind: LlmFallbackKind }): Promise<Understood> => {
    const r = await understandOffline(text, { now: options.now });
    return {
      intent: r.intent,
      params: r.params,
      understoodBy: "offline",
      ...(fallback ? { fallbackReason: fallback.reason, fallbackKind: fallback.kind } : {}),
    };
  };
  if (!options.llm) return offline();
  let costUsd = 0;
  let answered = false;
  try {
    const prompt = renderMessages("chat", {
      today: options.now.toISOString().slice(0, 10),
      categories: CATEGORIES.join(", "),
      archetypes: ARCHETYPE_NAMES.join(", "),
      request: redactPii(text),
    });
    const result = await options.llm.runToolLoop({
      agent: "chat",
      prompt: prompt.ref,
      system: prompt.system,
      user: prompt.user,
      tools: [createResolveDatesTool(options.now)],
      finalSchema: answerSchema,
      maxSteps: UNDERSTAND_MAX_STEPS,
      temperature: 0,
    });
    costUsd = result.record.usage.costUsd;
    answered = true;
    const params = PARAMS_SCHEMAS[result.value.intent].safeParse(result.value.params);
    if (!params.success)
      throw new Error(
        `parameters of ${result.value.intent}: ${params.error.issues.map((i) => `${i.path.join(".") || "params"} ${i.message}`).join("; ")}`,
      );
    return { intent: result.value.intent, params: params.data, understoodBy: "llm", costUsd };
  } catch (err) {
    // Parameters the intent's schema refuses make the answer as unusable as one that is not JSON.
    const kind = answered ? "invalid_answer" : llmFailureKind(err);
    return { ...(await offline({ reason: (err as Error).message.slice(0, 300), kind })), ...(costUsd ? { costUsd } : {}) };
  }
}
