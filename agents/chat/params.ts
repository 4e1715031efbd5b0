import { z } from "zod";
import { CHANNELS } from "../../ingest/formats.js";
import { STRATEGIES } from "../../tools/targeting.js";
import type { Intent } from "./contract.js";

/**
 * The parameters of each intent (names from issue #10), checked at the edge whoever understood the
 * request (the LLM or the offline understanding). Dates are calendar days (YYYY-MM-DD).
 */
const day = z.iso.date();
const channel = z.enum(CHANNELS);
const range = z.strictObject({ start: day.optional(), end: day.optional() });
const cycle = z.string().regex(/^c-\d{8}-[0-9a-z]{6}$/);
const segment = z.string().regex(/^seg-\d+$/);

export const planCampaignParamsSchema = z.strictObject({
  strategy: z.enum(STRATEGIES).optional(),
  max_discount: z.number().min(0).max(1).optional(),
  category: z.string().optional(),
  channels: z.array(channel).min(1).optional(),
  audience: z
    .strictObject({
      segments: z.array(segment).optional(),
      archetypes: z.array(z.string()).optional(),
      filters: z.array(z.enum(["lapsed", "high_value", "new", "promo_sensitive", "disengaged", "loyal"])).optional(),
    })
    .optional(),
  window: range.optional(),
  budget: z.number().min(0).optional(),
});
export type PlanCampaignParams = z.infer<typeof planCampaignParamsSchema>;

export const cycleParamsSchema = z.strictObject({ cycle: cycle.optional() });
export const startCycleParamsSchema = z.strictObject({ as_of: day.optional() });
export const decideParamsSchema = z.strictObject({ cycle: cycle.optional(), reason: z.string().max(2000).optional() });
export const segmentParamsSchema = z.strictObject({ segment: segment.optional() });
export const customerParamsSchema = z.strictObject({ customer: z.string().min(1).optional(), channel: channel.optional() });
export const resultsParamsSchema = z.strictObject({ cycle: cycle.optional(), period: range.optional() });
export const pauseParamsSchema = z.strictObject({
  channels: z.array(channel).min(1).optional(),
  segment: segment.optional(),
  until: day.optional(),
});
export const resumeParamsSchema = pauseParamsSchema.omit({ until: true });
export const auditRangeParamsSchema = z.strictObject({
  from: day.optional(),
  to: day.optional(),
  format: z.enum(["csv", "jsonl"]).optional(),
});
const none = z.strictObject({});

export const PARAMS_SCHEMAS: Record<Intent, z.ZodType<Record<string, unknown>>> = {
  segments_overview: none,
  start_cycle: startCycleParamsSchema,
  plan_campaign: planCampaignParamsSchema,
  show_plan: cycleParamsSchema,
  approve: decideParamsSchema,
  reject: decideParamsSchema,
  explain_segment: segmentParamsSchema,
  explain_customer: customerParamsSchema,
  cycle_results: resultsParamsSchema,
  pause: pauseParamsSchema,
  resume: resumeParamsSchema,
  audit_export: auditRangeParamsSchema,
  audit_verify: auditRangeParamsSchema.omit({ format: true }),
  help: none,
  unknown: none,
};
