import { createHash } from "node:crypto";
import { z } from "zod";
import type { LlmFallbackKind } from "../../guardrails/audit-entries.js";
import { llmFailureKind } from "../llm/errors.js";
import { fieldNames } from "../../guardrails/content-qa-channels.js";
import { toGsm7Friendly } from "../../guardrails/content-qa-gsm7.js";
import { type ContentQaIssue, type ContentQaVerdict, checkContent } from "../../guardrails/content-qa.js";
import { InputError } from "../../core/errors.js";
import { type Channel, channelSchema } from "../../ingest/formats.js";
import type { LlmCallListener, LlmCallRecord, LlmClient, LlmJsonResult } from "../llm/types.js";
import type { PromptRef } from "../../prompts/registry.js";
import { libraryContext, libraryTemplates } from "./library/index.js";
import { buildCopyPrompt } from "./prompt.js";
import { redactProfileText } from "./redact-profile.js";
import {
  COPY_STRATEGIES,
  type CopySource,
  type CopyVariant,
  type SendingStrategy,
  brandVoiceSchema,
  copyOfferSchema,
  copySegmentSchema,
  isSendingStrategy,
} from "./types.js";

export const AGENT_NAME = "copywriter";
export const DEFAULT_MAX_REGENERATIONS = 2;
export const MAX_VARIANTS = 10;

/** The model's answer for one (segment, channel, strategy): copy templates, one object per variant. */
export type LlmCopyAnswer = { variants: Record<string, string>[] };

/**
 * Answers by prompt: sha256 of (model, system, user). Share one across a cycle; identical prompts cost
 * one call. A Map, or a bounded cache (core/lru-cache.ts) in a long-running process.
 */
export interface CopyCache {
  get(key: string): LlmCopyAnswer | undefined;
  set(key: string, value: LlmCopyAnswer): unknown;
}

export const composeCopyInputSchema = z.object({
  segments: z.array(copySegmentSchema).min(1).max(500),
  channel: channelSchema,
  strategy: z.enum(COPY_STRATEGIES),
  offer: copyOfferSchema,
  /** Variants per segment. The offline twin returns its whole library for variety instead. */
  variants: z.number().int().min(1).max(MAX_VARIANTS),
  brand: brandVoiceSchema,
  /** Regeneration calls per segment after the first, for variants that fail content QA. */
  maxRegenerations: z.number().int().min(0).max(5).default(DEFAULT_MAX_REGENERATIONS),
  temperature: z.number().min(0).max(2).optional(),
});

export type ComposeCopyInput = z.input<typeof composeCopyInputSchema> & {
  /** Without a client the offline policy twin writes the copy from the curated library. */
  llm?: LlmClient;
  cache?: CopyCache;
  /** Called once per LLM call made (not for cache hits). */
  onCall?: LlmCallListener;
};

/** Why a model-written variant was not used: a content QA issue, or a problem with the answer itself. */
export type CopyIssue =
  ContentQaIssue | { code: "missing_variant" | "duplicate_variant" | "llm_failed"; field?: undefined; message: string };

/** A variant the model wrote that failed content QA, and what became of it. */
export interface RejectedVariant {
  /** 0 = first call, 1.. = regeneration calls. */
  attempt: number;
  slot: number;
  fields: Record<string, string>;
  issues: CopyIssue[];
}

export interface ReplacedVariant {
  slot: number;
  /** The library variant that took the slot, or null when no library variant was left. */
  replacementId: string | null;
  /** The issues of the model's last try for this slot. */
  reasons: CopyIssue[];
}

export interface SegmentCopy {
  segmentId: string;
  variants: CopyVariant[];
  /** LLM requests for this segment, cache hits included (0 for the offline twin). */
  attempts: number;
  cacheHits: number;
  rejected: RejectedVariant[];
  replaced: ReplacedVariant[];
  /** Library variants left out because they fail QA for this brand and offer (offline twin). */
  libraryExcluded: { variantId: string; issues: ContentQaIssue[] }[];
  /** Set when the model call failed and the segment fell back to the library. */
  llmError?: string;
  /** Why the model call failed, as a class (agents/llm/errors.ts llmFailureKind). */
  llmFailure?: LlmFallbackKind;
  /** Profile words (or name parts) replaced because they looked like PII. */
  redactions: number;
}

export interface ComposeCopyResult {
  /** Which twin ran. */
  source: CopySource;
  channel: Channel;
  strategy: z.infer<typeof composeCopyInputSchema>["strategy"];
  /** Set when the strategy sends nothing (cooldown, suppress): no copy. */
  skipped?: "no_send_strategy";
  segments: SegmentCopy[];
  /** Every variant of every segment, in segment order. */
  variants: (CopyVariant & { segmentId: string })[];
  llm: { calls: number; cacheHits: number; records: LlmCallRecord[] };
}

type ParsedInput = z.infer<typeof composeCopyInputSchema>;

/**
 * Writes copy for each segment on one channel and strategy. LLM calls scale with segments and
 * regenerations, never with customers: one call per segment returns all its variants, and
 * identical prompts are answered from the cache (which keeps only answers that passed content QA).
 */
export async function composeCopy(raw: ComposeCopyInput): Promise<ComposeCopyResult> {
  const parsed = composeCopyInputSchema.safeParse(raw);
  if (!parsed.success) throw new InputError(`composeCopy: ${z.prettifyError(parsed.error)}`, { cause: parsed.error });
  const input = parsed.data;
  const source: CopySource = raw.llm ? "llm" : "offline";
  const llmTotals = { calls: 0, cacheHits: 0, records: [] as LlmCallRecord[] };
  const result: ComposeCopyResult = {
    source,
    channel: input.channel,
    strategy: input.strategy,
    segments: [],
    variants: [],
    llm: llmTotals,
  };
  if (!isSendingStrategy(input.strategy)) return { ...result, skipped: "no_send_strategy" };
  const strategy = input.strategy;

  const library = offlineVariants(input, strategy);
  for (const segment of input.segments) {
    const copy = raw.llm
      ? await composeWithLlm(input, strategy, segment, library, { llm: raw.llm, cache: raw.cache, onCall: raw.onCall, totals: llmTotals })
      : {
          segmentId: segment.segmentId,
          variants: [...library.passing],
          attempts: 0,
          cacheHits: 0,
          rejected: [],
          replaced: [],
          libraryExcluded: [...library.excluded],
          redactions: 0,
        };
    result.segments.push(copy);
    for (const v of copy.variants) result.variants.push({ ...v, segmentId: segment.segmentId });
  }
  return result;
}

interface Library {
  passing: CopyVariant[];
  excluded: { variantId: string; issues: ContentQaIssue[] }[];
}

/** The library's variants for this strategy, channel, offer and brand, split by template-stage QA. */
function offlineVariants(input: ParsedInput, strategy: SendingStrategy): Library {
  const ctx = libraryContext(input.offer.depth, input.brand.name);
  const out: Library = { passing: [], excluded: [] };
  for (const t of libraryTemplates(strategy, input.channel)) {
    const fields = t.build(ctx) as Record<string, string>;
    const qa = qaTemplate(input, fields);
    if (qa.ok) out.passing.push(makeVariant(input, strategy, t.variantId, "offline", fields, qa));
    else out.excluded.push({ variantId: t.variantId, issues: qa.issues });
  }
  return out;
}

function qaTemplate(input: ParsedInput, fields: Record<string, string>): ContentQaVerdict {
  return checkContent({
    channel: input.channel,
    fields,
    stage: "template",
    offer: { depth: input.offer.depth, maxDepth: input.offer.maxDepth },
    bannedWords: input.brand.bannedWords,
  });
}

function makeVariant(
  input: ParsedInput,
  strategy: SendingStrategy,
  variantId: string,
  source: CopySource,
  fields: Record<string, string>,
  qa: ContentQaVerdict,
  prompt?: PromptRef,
): CopyVariant {
  return {
    variantId,
    channel: input.channel,
    strategy,
    source,
    fields,
    offerDepth: input.offer.depth,
    qa,
    ...(prompt ? { prompt } : {}),
  } as CopyVariant;
}

/** Lenient on lengths: one over-long subject must fail QA for that variant, not the whole call. */
function answerSchema(channel: Channel, max: number) {
  const shape = Object.fromEntries(fieldNames(channel).map((f) => [f, z.string().max(4000)]));
  return z.object({
    variants: z
      .array(z.object(shape))
      .min(1)
      .max(max * 2),
  });
}

/** Model text cleaned before QA: trimmed; SMS typographic characters turned into GSM-7. */
function normalizeFields(channel: Channel, raw: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fieldNames(channel)) {
    const v = typeof raw[f] === "string" ? (raw[f] as string).trim() : "";
    out[f] = channel === "sms" ? toGsm7Friendly(v) : v;
  }
  return out;
}

function llmVariantId(channel: Channel, fields: Record<string, string>): string {
  const h = createHash("sha256")
    .update(JSON.stringify([channel, fieldNames(channel).map((f) => fields[f])]))
    .digest("hex");
  return `llm.${h.slice(0, 16)}`;
}

interface LlmDeps {
  llm: LlmClient;
  cache?: CopyCache;
  onCall?: LlmCallListener;
  totals: { calls: number; cacheHits: number; records: LlmCallRecord[] };
}

async function composeWithLlm(
  input: ParsedInput,
  strategy: SendingStrategy,
  segment: ParsedInput["segments"][number],
  library: Library,
  deps: LlmDeps,
): Promise<SegmentCopy> {
  let redactions = 0;
  const clean = (s: string) => {
    const r = redactProfileText(s);
    redactions += r.redactions;
    return r.text;
  };
  const promptSegment = {
    name: clean(segment.name),
    ...(segment.size !== undefined ? { size: segment.size } : {}),
    profileWords: segment.profileWords.map(clean),
  };
  const out: SegmentCopy = {
    segmentId: segment.segmentId,
    variants: [],
    attempts: 0,
    cacheHits: 0,
    rejected: [],
    replaced: [],
    libraryExcluded: library.excluded,
    redactions: 0,
  };

  const slots: (CopyVariant | null)[] = Array.from({ length: input.variants }, () => null);
  const lastIssues = new Map<number, { fields: Record<string, string>; issues: CopyIssue[] }>();
  const seen = new Set<string>();

  for (let attempt = 0; attempt <= input.maxRegenerations; attempt++) {
    const open = slots.flatMap((v, i) => (v === null ? [i] : []));
    if (open.length === 0) break;
    const feedback =
      attempt === 0
        ? []
        : open.map((i) => lastIssues.get(i)!).map((f) => ({ copy: JSON.stringify(f.fields), reasons: f.issues.map((x) => x.message) }));
    const prompt = buildCopyPrompt({
      brand: input.brand,
      channel: input.channel,
      strategy,
      segment: promptSegment,
      offer: { depth: input.offer.depth, ...(input.offer.category ? { category: input.offer.category } : {}) },
      variants: open.length,
      feedback,
    });
    const asked = await ask(input, prompt, open.length, deps, out);
    if (asked === null) break;
    const { answer } = asked;
    let allPassed = true;
    open.forEach((slot, k) => {
      const raw = answer.variants[k];
      const fields = normalizeFields(input.channel, raw ?? {});
      const id = llmVariantId(input.channel, fields);
      const qa = qaTemplate(input, fields);
      const issues: CopyIssue[] = !raw
        ? [
            {
              code: "missing_variant",
              message: `the answer had ${answer.variants.length} variants, fewer than the ${open.length} asked for`,
            },
          ]
        : seen.has(id)
          ? [{ code: "duplicate_variant", message: "repeats another variant word for word; write a different one" }]
          : qa.issues;
      if (issues.length === 0) {
        seen.add(id);
        slots[slot] = makeVariant(input, strategy, id, "llm", fields, qa, prompt.ref);
      } else {
        allPassed = false;
        lastIssues.set(slot, { fields, issues });
        out.rejected.push({ attempt, slot, fields, issues });
      }
    });
    // Only answers that passed are kept for identical prompts: a cached failure would come back
    // word for word at the next regeneration with the same feedback, and the retry would be wasted.
    if (allPassed && !asked.cached) deps.cache?.set(asked.key, answer);
  }

  // Whatever the model could not get right is taken from the library, each library variant once.
  const used = new Set<string>();
  const start = hashIndex(segment.segmentId, library.passing.length);
  slots.forEach((v, slot) => {
    if (v !== null) return;
    let replacement: CopyVariant | null = null;
    for (let k = 0; k < library.passing.length; k++) {
      const candidate = library.passing[(start + slot + k) % library.passing.length]!;
      if (!used.has(candidate.variantId)) {
        replacement = candidate;
        break;
      }
    }
    if (replacement) {
      used.add(replacement.variantId);
      slots[slot] = replacement;
    }
    out.replaced.push({
      slot,
      replacementId: replacement?.variantId ?? null,
      reasons: lastIssues.get(slot)?.issues ?? [{ code: "llm_failed", message: out.llmError ?? "no model answer" }],
    });
  });
  out.variants = slots.filter((v): v is CopyVariant => v !== null);
  out.redactions = redactions;
  return out;
}

async function ask(
  input: ParsedInput,
  prompt: ReturnType<typeof buildCopyPrompt>,
  count: number,
  deps: LlmDeps,
  out: SegmentCopy,
): Promise<{ answer: LlmCopyAnswer; key: string; cached: boolean } | null> {
  out.attempts += 1;
  const key = createHash("sha256")
    .update(JSON.stringify([deps.llm.model, prompt.system, prompt.user]))
    .digest("hex");
  const cached = deps.cache?.get(key);
  if (cached) {
    out.cacheHits += 1;
    deps.totals.cacheHits += 1;
    return { answer: cached, key, cached: true };
  }
  deps.totals.calls += 1;
  let reply: LlmJsonResult<z.infer<ReturnType<typeof answerSchema>>>;
  try {
    // The client has already retried invalid answers; a failure here means the library takes over.
    reply = await deps.llm.completeJson({
      agent: AGENT_NAME,
      prompt: prompt.ref,
      system: prompt.system,
      user: prompt.user,
      schema: answerSchema(input.channel, count),
      ...(input.temperature !== undefined ? { temperature: input.temperature } : {}),
    });
  } catch (err) {
    out.llmError = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    out.llmFailure = llmFailureKind(err);
    return null;
  }
  const { value, record } = reply;
  deps.totals.records.push(record);
  await deps.onCall?.(record);
  return { answer: { variants: value.variants.slice(0, count) as Record<string, string>[] }, key, cached: false };
}

function hashIndex(key: string, n: number): number {
  if (n === 0) return 0;
  return createHash("sha256").update(key).digest().readUInt32BE(0) % n;
}
