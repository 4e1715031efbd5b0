import { z } from "zod";
import { CHANNELS, channelSchema } from "../../core/domain.js";
import { approvalPolicySchema } from "../../guardrails/approval.js";
import { fairnessConfigSchema } from "../../guardrails/fairness.js";
import { eligibilityConfigSchema } from "../../tools/eligibility.js";

/** What a cycle may do: set once by marketing, IT and legal; every field has a safe default. */
/**
 * A marketer's brief (from `pulse chat` or Slack), honoured by planning: the audience it names is
 * the only one contacted, with its strategy when it names one, within its budget.
 */
export const campaignBriefSchema = z.object({
  strategy: z.enum(["targeted_promo", "reengage", "cooldown", "winback", "cross_sell", "suppress"]).optional(),
  category: z.string().optional(),
  audience: z
    .object({
      segments: z.array(z.string()).optional(),
      archetypes: z.array(z.string()).optional(),
      filters: z.array(z.string()).optional(),
    })
    .optional(),
  window: z.object({ start: z.string().optional(), end: z.string().optional() }).optional(),
  budget: z.number().min(0).optional(),
});
export type CampaignBrief = z.infer<typeof campaignBriefSchema>;

export const cycleSettingsSchema = z.object({
  /** Share of each segment's contacts held out as a randomized control. */
  holdoutShare: z.number().gt(0).lt(1).default(0.2),
  /** Share of all customers in the persistent global control group (never contacted). */
  globalControlShare: z.number().min(0).lt(1).default(0.02),
  globalControlSalt: z.string().default("pulse-global-control-v1"),
  maxDiscount: z.number().min(0).max(0.9).default(0.2),
  offerDepths: z.array(z.number().min(0).max(0.9)).default([0, 0.1, 0.15, 0.2]),
  channels: z.array(channelSchema).default([...CHANNELS]),
  variants: z.number().int().min(1).max(10).default(3),
  attributionDays: z.number().int().min(1).max(90).default(14),
  /** Customers per activation job. */
  shardSize: z.number().int().min(10).max(100_000).default(1000),
  /** Features the segment tool clusters on (names from tools/features.ts). */
  segmentFeatures: z
    .array(z.string())
    .default([
      "recency_days",
      "frequency",
      "monetary",
      "aov",
      "tenure_days",
      "overdue_ratio",
      "discount_share",
      "margin_rate",
      "days_since_engagement",
      "return_rate",
    ]),
  segmentation: z
    .object({ kMin: z.number().int().default(3), kMax: z.number().int().default(10), seed: z.number().int().default(42) })
    .prefault({}),
  /** Protected attributes: fairness is measured across them; they are never model features. */
  fairnessAttributes: z.array(z.string()).default(["age_band", "region"]),
  brand: z
    .object({
      name: z.string().default("Northwind Market"),
      tone: z.string().default("warm, plain and brief; no hype"),
      bannedWords: z.array(z.string()).default(["guaranteed", "act now", "risk-free"]),
    })
    .prefault({}),
  approvalPolicy: approvalPolicySchema.prefault({}),
  /** Quiet hours and frequency caps at the customer's local send time (bounded by the guardrail policy). */
  eligibility: eligibilityConfigSchema.prefault({}),
  /** Fairness threshold and minimum group size (bounded by the guardrail policy). */
  fairness: fairnessConfigSchema.prefault({}),
  /**
   * Exploration over offer depths per segment × strategy (Thompson sampling): at most `maxExplore`
   * of a segment's customers get a depth other than the best one, every depth keeps `minPropensity`;
   * `priorWeight` pseudo-customers carry the model's prediction into each depth's posterior.
   */
  bandit: z
    .object({
      maxExplore: z.number().min(0).max(0.5).default(0.2),
      minPropensity: z.number().min(0).max(0.05).default(0.02),
      priorWeight: z.number().positive().default(20),
    })
    .prefault({}),
  /**
   * Weeks after the attribution window over which a contact's incremental purchase also counts the
   * margin of a lapsed customer it revives (tools/targeting.ts retainedMargin); 0: one window only.
   */
  retentionHorizonWeeks: z.number().min(0).max(52).default(13),
  /** Half-life of randomized evidence when readouts from past cycles are accumulated. */
  evidenceHalfLifeDays: z.number().positive().default(28),
  /** Minimum treated and holdout outcomes per strategy before learn trains an uplift model. */
  minLearnArm: z.number().int().min(10).default(100),
  brief: campaignBriefSchema.optional(),
});
export type CycleSettings = z.infer<typeof cycleSettingsSchema>;
export type CycleSettingsInput = z.input<typeof cycleSettingsSchema>;
