import { z } from "zod";
import { eligibilityConfigSchema } from "../tools/eligibility.js";
import { inDailyWindow, parseClock } from "../tools/eligibility-time-zone.js";
import { cycleSettingsSchema, type CycleSettings, type CycleSettingsInput } from "../workflows/cycle/settings.js";
import { approvalPolicySchema } from "./approval.js";
import { fairnessConfigSchema } from "./fairness.js";

/**
 * The guardrail policy: the limits marketing, IT and legal set once, apart from any cycle's brief.
 * Only an admin changes it (guardrails/guardrail-policy-store.ts keeps every version with who and
 * why); a brief (cycle settings from the CLI, chat, Slack or the API) may only tighten it.
 * applyBrief is the one function that decides whether a brief tightens or loosens. Pure.
 *
 * Field names follow the cycle settings they bound (workflows/cycle/settings.ts), so a brief and
 * the policy are read side by side.
 */

const capField = z.number().int().min(0).nullable();
const channelCaps = (defaults: { email: number | null; sms: number | null; push: number | null; in_app: number | null }) =>
  z
    .strictObject({
      email: capField.default(defaults.email),
      sms: capField.default(defaults.sms),
      push: capField.default(defaults.push),
      in_app: capField.default(defaults.in_app),
    })
    .prefault({});
const eligibilityDefaults = eligibilityConfigSchema.parse({});
const fairnessDefaults = fairnessConfigSchema.parse({});
const settingsDefaults = cycleSettingsSchema.parse({});

export const guardrailPolicySchema = z.strictObject({
  /** Approval tiers: above these limits a person must approve (the version is the policy's own). */
  approvalPolicy: approvalPolicySchema.omit({ version: true }).strict().prefault({}),
  /** Deepest discount any offer may carry (0..0.9). */
  maxDiscount: z.number().min(0).max(0.9).default(settingsDefaults.maxDiscount),
  /** Least share of each segment's contacts held out. */
  holdoutShare: z.number().gt(0).lt(1).default(settingsDefaults.holdoutShare),
  /** Least share of all customers in the persistent global control group, and its salt (which fixes who is in it). */
  globalControlShare: z.number().min(0).lt(1).default(settingsDefaults.globalControlShare),
  globalControlSalt: z.string().min(1).default(settingsDefaults.globalControlSalt),
  /** Quiet hours and frequency caps (tools/eligibility.ts); a null cap or window disables that rule. */
  eligibility: z
    .strictObject({
      quietHours: eligibilityConfigSchema.shape.quietHours,
      channelDailyCap: channelCaps(eligibilityDefaults.channelDailyCap),
      channelRollingCap: channelCaps(eligibilityDefaults.channelRollingCap),
      totalDailyCap: capField.default(eligibilityDefaults.totalDailyCap),
      totalRollingCap: capField.default(eligibilityDefaults.totalRollingCap),
      rollingWindowDays: z.number().positive().default(eligibilityDefaults.rollingWindowDays),
      recentConverterDays: z.number().min(0).nullable().default(eligibilityDefaults.recentConverterDays),
      reserveWithinBatch: z.boolean().default(eligibilityDefaults.reserveWithinBatch),
    })
    .prefault({}),
  /** Fairness: a disparate-impact ratio below the threshold flags the plan (guardrails/fairness.ts). */
  fairness: z
    .strictObject({
      threshold: z.number().gt(0).max(1).default(fairnessDefaults.threshold),
      minGroupSize: z.number().int().min(1).default(fairnessDefaults.minGroupSize),
    })
    .prefault({}),
  /** Protected attributes fairness is always measured across (a brief may add more). */
  fairnessAttributes: z.array(z.string().min(1)).default(settingsDefaults.fairnessAttributes),
  /**
   * How long message rows are kept (pulse db prune). At least 120 days: longer than any attribution
   * window (90) plus the frequency caps' rolling window, so pruning never changes a decision.
   */
  retention: z.strictObject({ messageDays: z.number().int().min(120).default(400) }).prefault({}),
});
export type GuardrailPolicy = z.infer<typeof guardrailPolicySchema>;
export type GuardrailPolicyInput = z.input<typeof guardrailPolicySchema>;

export const DEFAULT_GUARDRAIL_POLICY: GuardrailPolicy = guardrailPolicySchema.parse({});

/** The approval-policy version a cycle records when its brief names none. */
export function policyVersionLabel(version: number): string {
  return version === 0 ? "guardrail-policy/default" : `guardrail-policy/v${version}`;
}

/** One field a brief asked to loosen: its dotted path, the policy's value, the brief's, and the rule. */
export interface LoosenedField {
  field: string;
  policy: unknown;
  requested: unknown;
  rule: string;
}

export type BriefOutcome = { ok: true; settings: CycleSettings } | { ok: false; loosened: LoosenedField[] };

/** The cycle settings the policy alone gives (what a cycle runs with when its brief says nothing). */
export function policySettings(policy: GuardrailPolicy, version: number): CycleSettingsInput {
  return {
    approvalPolicy: { ...policy.approvalPolicy, version: policyVersionLabel(version) },
    maxDiscount: policy.maxDiscount,
    holdoutShare: policy.holdoutShare,
    globalControlShare: policy.globalControlShare,
    globalControlSalt: policy.globalControlSalt,
    eligibility: { ...policy.eligibility },
    fairness: { ...policy.fairness },
    fairnessAttributes: [...policy.fairnessAttributes],
  };
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
/** The brief over the base: nested settings objects merged key by key, anything else replaced. */
function overlay(base: Json, brief: Json, depth = 0): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(brief)) {
    out[k] = depth < 2 && isObject(v) && isObject(base[k]) && k !== "quietHours" ? overlay(base[k] as Json, v, depth + 1) : v;
  }
  return out;
}

/**
 * The settings a cycle runs with: the brief over the policy. Refused, naming every field, when the
 * brief would loosen any limit; fields the policy does not bound (channels, variants, brand, ...)
 * are the brief's to choose. Throws zod's error when the brief is not valid cycle settings.
 */
export function applyBrief(policy: GuardrailPolicy, version: number, brief: unknown): BriefOutcome {
  const given = brief === undefined || brief === null ? {} : brief;
  // Validate the brief's own shape first, so a bad value is reported as such and not as a merge artefact.
  cycleSettingsSchema.parse(given);
  const settings = cycleSettingsSchema.parse(overlay(policySettings(policy, version) as Json, given as Json));
  const loosened = loosenedFields(policy, settings);
  return loosened.length > 0 ? { ok: false, loosened } : { ok: true, settings };
}

/** Every field of `settings` looser than `policy`, in a stable order. Pure. */
export function loosenedFields(policy: GuardrailPolicy, settings: CycleSettings): LoosenedField[] {
  const out: LoosenedField[] = [];
  const atMost = (field: string, p: number, s: number) => {
    if (s > p) out.push({ field, policy: p, requested: s, rule: `at most ${p}` });
  };
  const atLeast = (field: string, p: number, s: number) => {
    if (s < p) out.push({ field, policy: p, requested: s, rule: `at least ${p}` });
  };
  const stillOn = (field: string, p: boolean, s: boolean) => {
    if (p && !s) out.push({ field, policy: p, requested: s, rule: "must stay true" });
  };
  /** A null cap is no cap: looser than any number. */
  const capAtMost = (field: string, p: number | null, s: number | null) => {
    if (p === null) return;
    if (s === null || s > p) out.push({ field, policy: p, requested: s, rule: `at most ${p} (null turns the cap off)` });
  };

  const a = policy.approvalPolicy;
  const sa = settings.approvalPolicy;
  atMost("approvalPolicy.maxAutoDiscount", a.maxAutoDiscount, sa.maxAutoDiscount);
  atMost("approvalPolicy.maxAutoAudience", a.maxAutoAudience, sa.maxAutoAudience);
  stillOn("approvalPolicy.newContentNeedsHuman", a.newContentNeedsHuman, sa.newContentNeedsHuman);
  stillOn("approvalPolicy.flaggedCheckNeedsHuman", a.flaggedCheckNeedsHuman, sa.flaggedCheckNeedsHuman);
  atMost("approvalPolicy.ttlHours", a.ttlHours, sa.ttlHours);
  atMost("maxDiscount", policy.maxDiscount, settings.maxDiscount);
  atLeast("holdoutShare", policy.holdoutShare, settings.holdoutShare);
  atLeast("globalControlShare", policy.globalControlShare, settings.globalControlShare);
  if (settings.globalControlSalt !== policy.globalControlSalt)
    out.push({
      field: "globalControlSalt",
      policy: policy.globalControlSalt,
      requested: settings.globalControlSalt,
      rule: "must equal the policy's (it fixes who is in the global control)",
    });

  const e = policy.eligibility;
  const se = settings.eligibility;
  if (!quietHoursCover(se.quietHours, e.quietHours))
    out.push({
      field: "eligibility.quietHours",
      policy: e.quietHours,
      requested: se.quietHours,
      rule: "must cover the policy's quiet window",
    });
  for (const ch of ["email", "sms", "push", "in_app"] as const) {
    capAtMost(`eligibility.channelDailyCap.${ch}`, e.channelDailyCap[ch], se.channelDailyCap[ch]);
    capAtMost(`eligibility.channelRollingCap.${ch}`, e.channelRollingCap[ch], se.channelRollingCap[ch]);
  }
  capAtMost("eligibility.totalDailyCap", e.totalDailyCap, se.totalDailyCap);
  capAtMost("eligibility.totalRollingCap", e.totalRollingCap, se.totalRollingCap);
  // The same cap over a longer window allows fewer sends.
  atLeast("eligibility.rollingWindowDays", e.rollingWindowDays, se.rollingWindowDays);
  if (e.recentConverterDays !== null && (se.recentConverterDays === null || se.recentConverterDays < e.recentConverterDays))
    out.push({
      field: "eligibility.recentConverterDays",
      policy: e.recentConverterDays,
      requested: se.recentConverterDays,
      rule: `at least ${e.recentConverterDays} (null turns the rule off)`,
    });
  stillOn("eligibility.reserveWithinBatch", e.reserveWithinBatch, se.reserveWithinBatch);

  // A higher threshold flags more plans; a smaller minimum group judges more groups.
  atLeast("fairness.threshold", policy.fairness.threshold, settings.fairness.threshold);
  atMost("fairness.minGroupSize", policy.fairness.minGroupSize, settings.fairness.minGroupSize);
  const missing = policy.fairnessAttributes.filter((x) => !settings.fairnessAttributes.includes(x));
  if (missing.length > 0)
    out.push({
      field: "fairnessAttributes",
      policy: policy.fairnessAttributes,
      requested: settings.fairnessAttributes,
      rule: `must include ${missing.join(", ")}`,
    });
  return out;
}

type QuietHours = GuardrailPolicy["eligibility"]["quietHours"];

/** Whether every minute the policy's quiet window holds is quiet under the brief's too. */
export function quietHoursCover(brief: QuietHours, policy: QuietHours): boolean {
  if (policy === null) return true;
  if (brief === null) return !quietMinutes(policy).some(Boolean);
  const p = quietMinutes(policy);
  const b = quietMinutes(brief);
  return p.every((quiet, m) => !quiet || b[m]);
}

/** Which of the day's 1,440 minutes are quiet, by the same rule eligibility applies. */
export function quietMinutes(q: NonNullable<QuietHours>): boolean[] {
  const start = parseClock(q.start);
  const end = parseClock(q.end);
  return Array.from({ length: 1440 }, (_, m) => inDailyWindow(m, start, end));
}

/** A one-line account of the fields refused, for errors and the audit. */
export function describeLoosened(loosened: readonly LoosenedField[]): string {
  return loosened.map((l) => `${l.field} ${JSON.stringify(l.requested)} (policy: ${l.rule})`).join("; ");
}
