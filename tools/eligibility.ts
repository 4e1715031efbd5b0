import type { StructuredToolInterface } from "@langchain/core/tools";
import { z } from "zod";
import { CHANNELS, channelSchema, type Channel } from "../ingest/formats.js";
import { defineTool, toLangChainTool } from "./define-tool.js";
import { inDailyWindow, instantAtLocal, isValidTimeZone, localTime, parseClock, type LocalTime } from "./eligibility-time-zone.js";

/**
 * Whether a planned marketing contact may be sent: consent, suppression, global control, quiet hours
 * in the customer's time zone, frequency caps per channel and in total (per customer-local calendar
 * day and per rolling window), recent conversion and stock. Every failing rule is reported, each with
 * a stable code and a sentence, so a reviewer sees all that blocks a contact, not just the first.
 */

/** A pseudonymous customer id, as ingestion accepts it; plain (no preprocessing) so agents get a JSON schema. */
const customerIdField = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces");

export const ELIGIBILITY_CODES = [
  "unknown_customer",
  "no_consent",
  "consent_revoked",
  "suppressed",
  "global_control",
  "quiet_hours",
  "frequency_cap_channel",
  "frequency_cap_total",
  "recent_converter",
  "out_of_stock",
  "fatigue_cooldown",
] as const;
export type EligibilityCode = (typeof ELIGIBILITY_CODES)[number];

const DAY_MS = 86_400_000;
const instantField = z.iso.datetime({ offset: true });
const clockField = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "expected HH:MM (24-hour)");
const capField = z.number().int().min(0).nullable();
const timeZoneField = z.string().refine(isValidTimeZone, "unknown IANA time zone");

const perChannelCap = (defaults: Record<Channel, number | null>) =>
  z
    .object({
      email: capField.default(defaults.email),
      sms: capField.default(defaults.sms),
      push: capField.default(defaults.push),
      in_app: capField.default(defaults.in_app),
    })
    .prefault({});

/** A null cap or window disables that rule. */
export const eligibilityConfigSchema = z.object({
  /** Local quiet window [start, end); wraps midnight when start > end. */
  quietHours: z.object({ start: clockField, end: clockField }).nullable().default({ start: "21:00", end: "08:00" }),
  /** Sends per channel per customer-local calendar day. */
  channelDailyCap: perChannelCap({ email: 1, sms: 1, push: 1, in_app: 2 }),
  /** Sends per channel in any rolling window of `rollingWindowDays` (DOMAIN: ~5 emails a week; push annoys from 2). */
  channelRollingCap: perChannelCap({ email: 5, sms: 2, push: 2, in_app: 7 }),
  totalDailyCap: capField.default(2),
  totalRollingCap: capField.default(8),
  rollingWindowDays: z.number().positive().default(7),
  /** No marketing to someone who converted this recently. */
  recentConverterDays: z.number().min(0).nullable().default(7),
  /**
   * Count contacts approved earlier in the same batch (in planned-time order) toward the caps, so a
   * batch never approves two contacts that together break a cap.
   */
  reserveWithinBatch: z.boolean().default(true),
});
export type EligibilityConfig = z.infer<typeof eligibilityConfigSchema>;
export type EligibilityConfigInput = z.input<typeof eligibilityConfigSchema>;

export const candidateContactSchema = z.object({
  candidateId: z.string().min(1).max(256).optional(),
  customerId: customerIdField,
  channel: channelSchema,
  /** Only marketing contacts are decided here; transactional messages follow other rules. */
  purpose: z.literal("marketing").default("marketing"),
  plannedAt: instantField,
  campaignId: z.string().max(128).optional(),
  strategy: z.string().max(64).optional(),
  /** Category of the offer, checked against out-of-stock categories. */
  category: z.string().max(64).optional(),
  /**
   * The rolling cap learned for the candidate's segment and channel (tools/fatigue-learning.ts). It can
   * only tighten the configured cap: the lower of the two applies.
   */
  learnedRollingCap: z.number().int().min(0).optional(),
  /** The customer's fatigue score, and the cool-down threshold learned for their segment: above it, no send. */
  fatigue: z.number().min(0).max(1).optional(),
  cooldownThreshold: z.number().min(0).max(1).optional(),
});
export type CandidateContact = z.input<typeof candidateContactSchema>;

export const customerContactDataSchema = z.object({
  customerId: customerIdField,
  timezone: timeZoneField.default("UTC"),
  consents: z
    .array(
      z.object({
        channel: channelSchema,
        purpose: z.enum(["marketing", "transactional"]),
        status: z.enum(["granted", "revoked"]),
        recordedAt: instantField,
        source: z.string().max(64).optional(),
      }),
    )
    .default([]),
  suppressions: z
    .array(z.object({ channel: z.enum([...CHANNELS, "all"]), reason: z.string().max(256).optional(), addedAt: instantField.optional() }))
    .default([]),
  /** Marketing sends already made or scheduled (at least the last rolling window). */
  sends: z.array(z.object({ channel: channelSchema, at: instantField })).default([]),
  lastConversionAt: instantField.nullable().optional(),
  globalControl: z.boolean().default(false),
});
export type CustomerContactData = z.input<typeof customerContactDataSchema>;

export const eligibilityInputSchema = z.object({
  candidates: z.array(candidateContactSchema),
  customers: z.array(customerContactDataSchema),
  outOfStockCategories: z.array(z.string()).default([]),
  config: eligibilityConfigSchema.prefault({}),
});
export type EligibilityInput = z.input<typeof eligibilityInputSchema>;

export const eligibilityReasonSchema = z.object({ code: z.enum(ELIGIBILITY_CODES), message: z.string() });
export type EligibilityReason = z.infer<typeof eligibilityReasonSchema>;

export const eligibilityDecisionSchema = z.object({
  candidateId: z.string().nullable(),
  customerId: z.string(),
  channel: channelSchema,
  plannedAt: z.string(),
  /** Planned time on the customer's wall clock, e.g. "2024-03-05 22:00 America/New_York". */
  localPlannedAt: z.string().nullable(),
  eligible: z.boolean(),
  reasons: z.array(eligibilityReasonSchema),
  /** When quiet hours are the only blocker: the end of the quiet window, if the contact is eligible then. */
  nextAllowedAt: z.string().nullable(),
});
export type EligibilityDecision = z.infer<typeof eligibilityDecisionSchema>;

export const eligibilityOutputSchema = z.object({
  decisions: z.array(eligibilityDecisionSchema),
  eligibleCount: z.number().int(),
  /** Candidates blocked by each code (a candidate may count under several). */
  blockedBy: z.record(z.string(), z.number().int()),
});
export type EligibilityOutput = z.infer<typeof eligibilityOutputSchema>;

type Candidate = z.infer<typeof candidateContactSchema>;
type Customer = z.infer<typeof customerContactDataSchema>;
interface Send {
  channel: Channel;
  at: number;
}

/** The most sends in any rolling window [s, s + w) that contains t. */
export function maxSendsInWindowContaining(times: readonly number[], t: number, windowMs: number): number {
  // The count, as a function of the window start s ∈ (t − w, t], peaks at s = t or at a send time.
  const near = times.filter((x) => x > t - windowMs && x < t + windowMs);
  let best = 0;
  for (const s of [t, ...near.filter((x) => x <= t)]) {
    let n = 0;
    for (const x of near) if (x >= s && x < s + windowMs) n += 1;
    if (n > best) best = n;
  }
  return best;
}

function fmtLocal(l: LocalTime, timeZone: string): string {
  return `${l.date} ${String(l.hour).padStart(2, "0")}:${String(l.minute).padStart(2, "0")} ${timeZone}`;
}

function evaluate(
  candidate: Candidate,
  plannedAt: number,
  customer: Customer,
  sends: readonly Send[],
  outOfStock: ReadonlySet<string>,
  config: EligibilityConfig,
): { reasons: EligibilityReason[]; local: LocalTime } {
  const reasons: EligibilityReason[] = [];
  const { channel } = candidate;
  const tz = customer.timezone;
  const local = localTime(plannedAt, tz);

  // Latest record wins; at equal times a revocation wins, the safe reading. Records are what is known
  // now, so a revocation recorded after the planned time still blocks.
  const latest = customer.consents
    .filter((c) => c.channel === channel && c.purpose === candidate.purpose)
    .map((c) => ({ ...c, t: Date.parse(c.recordedAt) }))
    .reduce<{ status: "granted" | "revoked"; t: number; source?: string } | null>(
      (best, c) => (best === null || c.t > best.t || (c.t === best.t && c.status === "revoked") ? c : best),
      null,
    );
  if (latest === null) {
    reasons.push({ code: "no_consent", message: `No ${candidate.purpose} consent on record for ${channel}.` });
  } else if (latest.status === "revoked") {
    reasons.push({
      code: "consent_revoked",
      message: `The ${channel} ${candidate.purpose} consent was revoked on ${new Date(latest.t).toISOString()} (latest record).`,
    });
  }

  const suppression = customer.suppressions.find((s) => s.channel === channel || s.channel === "all");
  if (suppression) {
    reasons.push({
      code: "suppressed",
      message: `On the ${suppression.channel === "all" ? "all-channel" : channel} suppression list${suppression.reason ? ` (${suppression.reason})` : ""}.`,
    });
  }

  if (customer.globalControl) {
    reasons.push({ code: "global_control", message: "In the global control group, which never receives campaigns." });
  }

  if (config.quietHours) {
    const start = parseClock(config.quietHours.start);
    const end = parseClock(config.quietHours.end);
    if (inDailyWindow(local.minuteOfDay, start, end)) {
      reasons.push({
        code: "quiet_hours",
        message: `${fmtLocal(local, tz)} is within quiet hours ${config.quietHours.start}-${config.quietHours.end} local time.`,
      });
    }
  }

  const windowMs = config.rollingWindowDays * DAY_MS;
  const sameDay = sends.filter((s) => localTime(s.at, tz).date === local.date);
  const channelSends = sends.filter((s) => s.channel === channel);
  const channelDaily = config.channelDailyCap[channel];
  const channelSameDay = sameDay.filter((s) => s.channel === channel).length;
  if (channelDaily !== null && channelSameDay >= channelDaily) {
    reasons.push({
      code: "frequency_cap_channel",
      message: `${channelSameDay} ${channel} send(s) already on ${local.date} (customer-local day, ${tz}); cap ${channelDaily} a day.`,
    });
  }
  const configured = config.channelRollingCap[channel];
  const learned = candidate.learnedRollingCap;
  const channelRolling = learned !== undefined && (configured === null || learned < configured) ? learned : configured;
  if (channelRolling !== null) {
    const n = maxSendsInWindowContaining(
      channelSends.map((s) => s.at),
      plannedAt,
      windowMs,
    );
    if (n >= channelRolling) {
      reasons.push({
        code: "frequency_cap_channel",
        message: `${n} ${channel} send(s) in a rolling ${config.rollingWindowDays}-day window around this send; cap ${channelRolling}${channelRolling === learned && learned !== configured ? ` (learned for the segment; policy cap ${configured ?? "none"})` : ""}.`,
      });
    }
  }
  if (config.totalDailyCap !== null && sameDay.length >= config.totalDailyCap) {
    reasons.push({
      code: "frequency_cap_total",
      message: `${sameDay.length} send(s) across channels already on ${local.date} (customer-local day, ${tz}); cap ${config.totalDailyCap} a day.`,
    });
  }
  if (config.totalRollingCap !== null) {
    const n = maxSendsInWindowContaining(
      sends.map((s) => s.at),
      plannedAt,
      windowMs,
    );
    if (n >= config.totalRollingCap) {
      reasons.push({
        code: "frequency_cap_total",
        message: `${n} send(s) across channels in a rolling ${config.rollingWindowDays}-day window around this send; cap ${config.totalRollingCap}.`,
      });
    }
  }

  if (config.recentConverterDays !== null && customer.lastConversionAt) {
    const converted = Date.parse(customer.lastConversionAt);
    if (converted <= plannedAt && plannedAt - converted < config.recentConverterDays * DAY_MS) {
      reasons.push({
        code: "recent_converter",
        message: `Converted on ${new Date(converted).toISOString()}, within ${config.recentConverterDays} days of the planned send.`,
      });
    }
  }

  if (candidate.fatigue !== undefined && candidate.cooldownThreshold !== undefined && candidate.fatigue > candidate.cooldownThreshold) {
    reasons.push({
      code: "fatigue_cooldown",
      message: `Fatigue ${candidate.fatigue.toFixed(2)} is above the cool-down threshold ${candidate.cooldownThreshold} learned for the segment.`,
    });
  }

  if (candidate.category !== undefined && outOfStock.has(candidate.category.toLowerCase())) {
    reasons.push({ code: "out_of_stock", message: `The offer's category ${candidate.category} is out of stock.` });
  }

  return { reasons, local };
}

/** The end of the quiet window that contains `local`, as an instant. */
function quietWindowEnd(local: LocalTime, timeZone: string, quietHours: { start: string; end: string }): number {
  const end = parseClock(quietHours.end);
  const endsToday = local.minuteOfDay < end;
  return instantAtLocal(timeZone, local.year, local.month, local.day + (endsToday ? 0 : 1), Math.floor(end / 60), end % 60);
}

function decideParsed(input: z.infer<typeof eligibilityInputSchema>): EligibilityOutput {
  const { config } = input;
  const customers = new Map(input.customers.map((c) => [c.customerId, c]));
  const outOfStock = new Set(input.outOfStockCategories.map((c) => c.toLowerCase()));
  const sendsByCustomer = new Map<string, Send[]>();
  const sendsOf = (c: Customer): Send[] => {
    let s = sendsByCustomer.get(c.customerId);
    if (!s) {
      s = c.sends.map((x) => ({ channel: x.channel, at: Date.parse(x.at) }));
      sendsByCustomer.set(c.customerId, s);
    }
    return s;
  };

  const planned = input.candidates.map((c) => Date.parse(c.plannedAt));
  // Planned-time order makes within-batch reservations match what a forward scheduler would do.
  const order = input.candidates.map((_, i) => i).sort((a, b) => planned[a] - planned[b] || a - b);
  const decisions = new Array<EligibilityDecision>(input.candidates.length);
  for (const i of order) {
    const candidate = input.candidates[i];
    const base = {
      candidateId: candidate.candidateId ?? null,
      customerId: candidate.customerId,
      channel: candidate.channel,
      plannedAt: new Date(planned[i]).toISOString(),
    };
    const customer = customers.get(candidate.customerId);
    if (!customer) {
      decisions[i] = {
        ...base,
        localPlannedAt: null,
        eligible: false,
        reasons: [{ code: "unknown_customer", message: `No contact data for customer ${candidate.customerId}; nothing can be verified.` }],
        nextAllowedAt: null,
      };
      continue;
    }
    const sends = sendsOf(customer);
    const { reasons, local } = evaluate(candidate, planned[i], customer, sends, outOfStock, config);
    const eligible = reasons.length === 0;
    let nextAllowedAt: string | null = null;
    if (config.quietHours && reasons.length > 0 && reasons.every((r) => r.code === "quiet_hours")) {
      const next = quietWindowEnd(local, customer.timezone, config.quietHours);
      if (evaluate(candidate, next, customer, sends, outOfStock, config).reasons.length === 0) nextAllowedAt = new Date(next).toISOString();
    }
    if (eligible && config.reserveWithinBatch) sends.push({ channel: candidate.channel, at: planned[i] });
    decisions[i] = { ...base, localPlannedAt: fmtLocal(local, customer.timezone), eligible, reasons, nextAllowedAt };
  }

  const blockedBy: Record<string, number> = {};
  for (const d of decisions) for (const code of new Set(d.reasons.map((r) => r.code))) blockedBy[code] = (blockedBy[code] ?? 0) + 1;
  return { decisions, eligibleCount: decisions.filter((d) => d.eligible).length, blockedBy };
}

export const eligibilityToolDefinition = defineTool({
  name: "check_eligibility",
  description:
    "Decides for each planned marketing contact whether it may be sent, listing every failing rule with a stable code: no_consent, consent_revoked, " +
    "suppressed, global_control, quiet_hours (customer-local), frequency_cap_channel, frequency_cap_total (customer-local days and rolling window), " +
    "recent_converter, out_of_stock. Gives the next allowed time when only quiet hours block.",
  input: eligibilityInputSchema,
  output: eligibilityOutputSchema,
  fn: decideParsed,
});

/** Decides a batch of candidate contacts; validates input and output. */
export function checkEligibility(input: EligibilityInput): EligibilityOutput {
  return eligibilityToolDefinition.run(input);
}

const DEFAULT_ELIGIBILITY_CONFIG: EligibilityConfig = eligibilityConfigSchema.parse({});

/**
 * The same decisions without schema validation, for the cycle's check of every planned contact
 * (thousands of candidates built from the store's typed rows, where validating each timestamp and
 * time zone through zod cost more than deciding). The input must already be in the parsed shape:
 * every field given, times as ISO 8601 instants; `config` defaults to the schema's defaults.
 */
export function checkEligibilityUnchecked(
  input: Omit<z.infer<typeof eligibilityInputSchema>, "config"> & { config?: EligibilityConfig },
): EligibilityOutput {
  return decideParsed({ ...input, config: input.config ?? DEFAULT_ELIGIBILITY_CONFIG });
}

export interface EligibilityToolDeps {
  config?: EligibilityConfigInput;
  /** With a loader, the agent passes only the candidates; contact data never passes through the model. */
  loadCustomers?: (customerIds: string[]) => Promise<CustomerContactData[]>;
  loadOutOfStockCategories?: () => Promise<string[]>;
}

export function createEligibilityTool(deps: EligibilityToolDeps = {}): StructuredToolInterface {
  const { loadCustomers } = deps;
  if (loadCustomers) {
    const schema = z.object({ candidates: z.array(candidateContactSchema).min(1).max(1000) });
    return toLangChainTool(eligibilityToolDefinition, {
      schema,
      adapt: async ({ candidates }: z.infer<typeof schema>): Promise<EligibilityInput> => ({
        candidates,
        customers: await loadCustomers([...new Set(candidates.map((c) => c.customerId))]),
        outOfStockCategories: deps.loadOutOfStockCategories ? await deps.loadOutOfStockCategories() : [],
        config: deps.config ?? {},
      }),
    });
  }
  const schema = z.object({
    candidates: z.array(candidateContactSchema),
    customers: z.array(customerContactDataSchema),
    outOfStockCategories: z.array(z.string()).optional(),
  });
  return toLangChainTool(eligibilityToolDefinition, {
    schema,
    adapt: (args: z.infer<typeof schema>): EligibilityInput => ({ ...args, config: deps.config ?? {} }),
  });
}
