import { z } from "zod";
import { roleSchema } from "../core/roles.js";
import { channelSchema } from "../ingest/formats.js";
import { CUSTOMER_SET_KIND } from "../store/audit-sets.js";

/**
 * The entry kinds Pulse writes to the audit log, one strict zod schema each (unknown keys are
 * refused, so nothing lands in the log by accident). Entries carry pseudonymous ids and digests,
 * never raw contact data. Kinds in CUSTOMER_KINDS describe one customer and must set customer_id:
 * that column is what `pulse audit why` reads.
 */

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, "expected a SHA-256 hex digest");
const text = (max: number) => z.string().max(max);
const isoInstant = z.iso.datetime({ offset: true });
const score = z.number().nullable();

/**
 * Why an agent ran its offline policy although an LLM was configured: the server was down
 * (connection refused or reset, 5xx), did not answer within PULSE_LLM_TIMEOUT_MS, answered
 * something unusable (not JSON, the wrong shape, no choice, or refused by the agent's checks),
 * the prompt was refused before sending (contact data), or another request error.
 */
export const LLM_FALLBACK_KINDS = ["down", "timeout", "invalid_answer", "refused", "error"] as const;
export type LlmFallbackKind = (typeof LLM_FALLBACK_KINDS)[number];

export const promptRefSchema = z.strictObject({
  id: z.string().min(1),
  version: z.number().int().min(0),
  hash: z.string().min(1),
});

export const offerSchema = z.strictObject({
  /** e.g. percent_off, free_shipping, none */
  type: z.string().min(1),
  /** Discount depth as a share of price, 0..1. */
  depth: z.number().min(0).max(1),
});

export const toolCallEntrySchema = z.strictObject({
  tool: z.string().min(1),
  inputDigest: sha256Hex,
  outputDigest: sha256Hex.nullable(),
  summary: text(500),
  ok: z.boolean().default(true),
  durationMs: z.number().min(0).optional(),
});

export const llmCallEntrySchema = z.strictObject({
  agent: z.string().min(1),
  model: z.string().min(1),
  prompt: promptRefSchema,
  tokens: z.strictObject({ prompt: z.number().int().min(0), completion: z.number().int().min(0) }),
  costUsd: z.number().min(0),
  attempts: z.number().int().min(1).default(1),
  latencyMs: z.number().min(0).optional(),
  redactedPrompt: text(20_000),
  redactedAnswer: text(20_000),
  ok: z.boolean(),
  error: text(2_000).optional(),
});

export const guardrailVerdictEntrySchema = z.strictObject({
  /** The check's name: consent, content_qa, offer_limit, fairness, ... */
  check: z.string().min(1),
  /** What was checked: a message id, a segment id, a plan, a cycle. */
  subject: z.string().min(1),
  passed: z.boolean(),
  reasons: z.array(text(1_000)).default([]),
  /** Numbers behind the verdict (ratios, counts); small. */
  details: z.record(z.string(), z.unknown()).optional(),
});

export const segmentAssignmentEntrySchema = z.strictObject({
  runId: z.string().min(1),
  segmentId: z.string().min(1),
  segmentName: z.string().min(1),
  isOutlier: z.boolean().default(false),
  scores: z.strictObject({ clv: score.optional(), churn: score.optional(), uplift: score.optional(), fatigue: score.optional() }),
});

export const planSegmentSchema = z.strictObject({
  segmentId: z.string().min(1),
  segmentName: z.string().min(1),
  strategy: z.string().min(1),
  channel: channelSchema.nullable(),
  offer: offerSchema.nullable(),
  /** When to send, as the plan states it (e.g. "2024-05-02T09:00 local", "next weekday morning"). */
  timing: text(200),
  budget: z.number().min(0),
  audienceSize: z.number().int().min(0).optional(),
  reasons: z.array(text(1_000)).default([]),
});

export const planEntrySchema = z.strictObject({
  planId: z.string().min(1),
  version: z.number().int().min(1).default(1),
  segments: z.array(planSegmentSchema),
  totalBudget: z.number().min(0).optional(),
});

export const eligibilityEntrySchema = z.strictObject({
  channel: channelSchema,
  eligible: z.boolean(),
  reasons: z.array(z.strictObject({ code: z.string().min(1), message: text(1_000) })).default([]),
});

export const holdoutEntrySchema = z.strictObject({
  experimentId: z.string().min(1),
  arm: z.enum(["treatment", "holdout", "global_control"]),
  bucket: z.number().min(0).max(1).nullable(),
  segmentId: z.string().nullable().optional(),
});

export const APPROVAL_EVENTS = ["requested", "approved", "rejected", "expired"] as const;
export const approvalEntrySchema = z.strictObject({
  approvalId: z.string().min(1),
  event: z.enum(APPROVAL_EVENTS),
  /** Who requested (for "requested") or decided; "policy:<version>" for automatic approval, APPROVAL_EXPIRY_ACTOR (guardrails/approval-rules.ts) for expiry. */
  by: z.string().min(1),
  byPolicy: z.boolean().default(false),
  reason: text(2_000).nullable().default(null),
  riskTier: z.enum(["auto", "human"]),
  triggers: z.array(z.strictObject({ code: z.string(), message: text(1_000) })).default([]),
  policyVersion: z.string().min(1),
  expiresAt: isoInstant.optional(),
});

export const consentBasisSchema = z.strictObject({
  channel: channelSchema,
  purpose: z.enum(["marketing", "transactional"]),
  status: z.literal("granted"),
  source: z.string().nullable(),
  recordedAt: isoInstant,
});

export const sendEntrySchema = z.strictObject({
  channel: channelSchema,
  messageId: z.string().min(1),
  dedupeKey: z.string().min(1),
  campaignId: z.string().min(1).optional(),
  templateId: z.string().nullable(),
  variantId: z.string().nullable(),
  prompt: promptRefSchema.nullable(),
  offer: offerSchema.nullable(),
  /** The consent record in force that allowed this send. */
  consentBasis: consentBasisSchema,
});

export const suppressionEntrySchema = z.strictObject({
  /** "all" when every channel is suppressed. */
  channel: z.union([channelSchema, z.literal("all")]),
  reasonCode: z.string().min(1),
  reason: text(1_000),
});

export const measurementEntrySchema = z.strictObject({
  experimentId: z.string().min(1).optional(),
  readoutDigest: sha256Hex,
  summary: text(2_000),
});

export const cycleEntrySchema = z.strictObject({
  event: z.enum(["started", "resumed", "finished", "failed"]),
  status: z.string().optional(),
  error: text(2_000).optional(),
  summary: z.record(z.string(), z.unknown()).optional(),
});

/** The guardrail policy: a new version by an admin, a brief refused for loosening it, or old rows pruned under it. */
export const policyEntrySchema = z.strictObject({
  event: z.enum(["changed", "brief_refused", "pruned"]),
  /** The policy version in force (0: the built-in defaults). */
  version: z.number().int().min(0),
  digest: sha256Hex,
  reason: text(2_000).nullable().default(null),
  /** For "changed": the fields that differ from the previous version; for "brief_refused": those the brief would loosen. */
  fields: z
    .array(z.strictObject({ field: text(200), policy: z.unknown(), requested: z.unknown(), rule: text(500).optional() }))
    .default([]),
  /** For "pruned": rows removed per table, and the cut-off. */
  counts: z.record(z.string(), z.number().int().min(0)).optional(),
  before: isoInstant.optional(),
});

/** What someone asked Pulse through an interface (Slack, chat, API) and what came of it; actor is who asked. */
export const interfaceRequestEntrySchema = z.strictObject({
  via: z.enum(["cli", "slack", "api"]),
  /** How it came in: slash_command, app_mention, direct_message, approve_button, reject_button, reject_modal, ... */
  source: z.string().min(1).max(100),
  /** The request text, contact data redacted. */
  text: text(2_000),
  /** The asker's role; null when they are not known to Pulse. */
  role: roleSchema.nullable(),
  intent: z.string().max(100).optional(),
  outcome: z.enum(["answered", "refused", "failed"]),
  reason: text(1_000).optional(),
  cycleId: z.string().max(256).optional(),
});

/** A request to the chat agent (pulse chat, Slack, API): who asked, what (redacted), what Pulse understood and did. */
export const chatEntrySchema = z.strictObject({
  via: z.enum(["cli", "slack", "api"]),
  /** How it came in through the interface (Slack: slash_command, app_mention, direct_message): the request's one record. */
  source: z.string().min(1).max(100).optional(),
  /** The asker's role. */
  role: roleSchema.optional(),
  threadId: text(256),
  /** The request text, redacted (agents/llm/redact.ts). */
  text: text(2_000),
  intent: z.string().min(1),
  params: z.record(z.string(), z.unknown()).default({}),
  understoodBy: z.enum(["llm", "offline"]),
  /** Why the offline understanding ran although an LLM was configured (down, timeout, invalid_answer, ...). */
  fallback: z.enum(LLM_FALLBACK_KINDS).optional(),
  fallbackReason: text(500).optional(),
  /** done | refused | failed, and what came of it (ids and counts, never contact data). */
  outcome: z.enum(["done", "refused", "failed"]),
  summary: text(1_000),
  costUsd: z.number().min(0).optional(),
});

/** A pause rule created or lifted on someone's behalf (store/suppression-rules-repo.ts). */
export const suppressionRuleEntrySchema = z.strictObject({
  event: z.enum(["created", "lifted"]),
  ruleId: z.string().min(1),
  channels: z.array(z.union([channelSchema, z.literal("all")])),
  segmentId: z.string().nullable(),
  until: isoInstant.nullable(),
  reason: text(1_000).default(""),
});

/** Access to Pulse granted or withdrawn on someone's behalf (API tokens); never the token itself. */
export const accessEntrySchema = z.strictObject({
  event: z.enum(["token_created", "token_revoked"]),
  tokenId: z.string().min(1),
  name: z.string().min(1),
  role: z.string().min(1),
});

/** A dead-lettered message replayed on someone's behalf (`pulse deliveries retry`), and what came of it. */
export const deliveryReplayEntrySchema = z.strictObject({
  messageId: z.string().min(1),
  dedupeKey: z.string().min(1),
  connector: z.string().min(1),
  outcome: z.enum(["delivered", "failed"]),
  attempts: z.number().int().min(0),
  /** The dead letter's last failure, and this replay's error when it failed. */
  deadLetterReason: text(1_000),
  error: text(1_000).optional(),
});

/** Which twin of an agent decided a step (the LLM or the offline policy), and why the offline one ran when an LLM was configured. */
export const agentDecisionEntrySchema = z.strictObject({
  agent: z.string().min(1),
  /** The step decided: segments, plan, a campaign's copy, a readout. */
  subject: text(500),
  source: z.enum(["llm", "offline"]),
  fallback: z.enum(LLM_FALLBACK_KINDS).optional(),
  fallbackReason: text(500).optional(),
  prompt: promptRefSchema.optional(),
});

/** The kinds about one customer: their rows need a customer_id, and a customer_entries row may hold them (store/audit-sets.ts). */
const CUSTOMER_ENTRY_SCHEMAS = {
  segment_assignment: segmentAssignmentEntrySchema,
  eligibility: eligibilityEntrySchema,
  holdout: holdoutEntrySchema,
  send: sendEntrySchema,
  suppression: suppressionEntrySchema,
} as const;

/**
 * Many per-customer entries of one kind in one row: `customers[i]`'s entry is
 * `{ ...shared, ...members[i] }`, and each must be a valid entry of kind `of`.
 */
export const customerEntriesEntrySchema = z
  .strictObject({
    of: z.enum(Object.keys(CUSTOMER_ENTRY_SCHEMAS) as [keyof typeof CUSTOMER_ENTRY_SCHEMAS]),
    shared: z.record(z.string(), z.unknown()),
    customers: z.array(z.string().min(1).max(256)).min(1),
    members: z.array(z.record(z.string(), z.unknown())),
  })
  .superRefine((set, ctx) => {
    if (set.members.length !== set.customers.length) {
      ctx.addIssue({ code: "custom", path: ["members"], message: `${set.members.length} members for ${set.customers.length} customers` });
      return;
    }
    const schema = CUSTOMER_ENTRY_SCHEMAS[set.of];
    for (let i = 0; i < set.members.length; i++) {
      const parsed = schema.safeParse({ ...set.shared, ...set.members[i] });
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        ctx.addIssue({ code: "custom", path: ["members", i, ...issue.path.map(String)], message: issue.message });
        return;
      }
    }
  });

export const AUDIT_ENTRY_SCHEMAS = {
  tool_call: toolCallEntrySchema,
  llm_call: llmCallEntrySchema,
  guardrail_verdict: guardrailVerdictEntrySchema,
  segment_assignment: segmentAssignmentEntrySchema,
  plan: planEntrySchema,
  eligibility: eligibilityEntrySchema,
  holdout: holdoutEntrySchema,
  approval: approvalEntrySchema,
  send: sendEntrySchema,
  suppression: suppressionEntrySchema,
  measurement: measurementEntrySchema,
  cycle: cycleEntrySchema,
  policy: policyEntrySchema,
  interface_request: interfaceRequestEntrySchema,
  chat: chatEntrySchema,
  suppression_rule: suppressionRuleEntrySchema,
  access: accessEntrySchema,
  delivery_replay: deliveryReplayEntrySchema,
  agent_decision: agentDecisionEntrySchema,
  [CUSTOMER_SET_KIND]: customerEntriesEntrySchema,
} as const;

export type AuditKind = keyof typeof AUDIT_ENTRY_SCHEMAS;
export const AUDIT_KINDS = Object.keys(AUDIT_ENTRY_SCHEMAS) as AuditKind[];

/** Kinds about one customer: customer_id is required. */
export const CUSTOMER_KINDS: ReadonlySet<AuditKind> = new Set(Object.keys(CUSTOMER_ENTRY_SCHEMAS) as AuditKind[]);
/** Kinds that belong to a cycle: cycle_id is required. */
export const CYCLE_KINDS: ReadonlySet<AuditKind> = new Set(["plan", "approval", "send", "cycle"]);

/** The entry document of each kind, as stored (defaults applied). */
export type AuditEntryOf<K extends AuditKind> = z.infer<(typeof AUDIT_ENTRY_SCHEMAS)[K]>;
/** What a writer passes (defaults may be left out). */
export type AuditEntryInputOf<K extends AuditKind> = z.input<(typeof AUDIT_ENTRY_SCHEMAS)[K]>;

/** One entry to append. `at` defaults to the audit log's clock. */
export type NewAuditEntry = {
  [K in AuditKind]: {
    kind: K;
    actor: string;
    cycleId?: string | null;
    customerId?: string | null;
    at?: Date;
    entry: AuditEntryInputOf<K>;
  };
}[AuditKind];

export type ToolCallEntry = AuditEntryOf<"tool_call">;
export type LlmCallEntry = AuditEntryOf<"llm_call">;
export type GuardrailVerdictEntry = AuditEntryOf<"guardrail_verdict">;
export type SegmentAssignmentEntry = AuditEntryOf<"segment_assignment">;
export type PlanEntry = AuditEntryOf<"plan">;
export type PlanSegment = z.infer<typeof planSegmentSchema>;
export type EligibilityEntry = AuditEntryOf<"eligibility">;
export type HoldoutEntry = AuditEntryOf<"holdout">;
export type ApprovalEntry = AuditEntryOf<"approval">;
export type SendEntry = AuditEntryOf<"send">;
export type SuppressionEntry = AuditEntryOf<"suppression">;
export type MeasurementEntry = AuditEntryOf<"measurement">;
export type CycleEntry = AuditEntryOf<"cycle">;
export type PolicyEntry = AuditEntryOf<"policy">;
export type InterfaceRequestEntry = AuditEntryOf<"interface_request">;

export function isAuditKind(kind: string): kind is AuditKind {
  return Object.hasOwn(AUDIT_ENTRY_SCHEMAS, kind);
}
