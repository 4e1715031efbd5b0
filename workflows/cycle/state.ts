import { z } from "zod";
import { ARCHETYPE_NAMES } from "../../tools/segment-naming.js";
import { campaignSchema, channelSchema, cycleStatusSchema, strategySchema, type Campaign } from "../../core/domain.js";
import { cycleSettingsSchema } from "./settings.js";

/**
 * The cycle's graph state: ids, settings and summaries only. Per-customer data lives in the
 * database (memberships, scores, targets, assignments, messages) so checkpoints stay small.
 */
const provenance = z.object({
  source: z.enum(["llm", "offline"]),
  fallbackReason: z.string().optional(),
  prompt: z.object({ id: z.string(), version: z.number(), hash: z.string() }).optional(),
});

export const segmentSummarySchema = z.object({
  segmentId: z.string(),
  name: z.string(),
  size: z.number(),
  share: z.number(),
  valueShare: z.number().nullable(),
  description: z.string(),
  traits: z.array(z.string()),
  /** The archetype tools/segment-naming.ts matched (null for a descriptive name); absent in older checkpoints. */
  archetype: z.enum(ARCHETYPE_NAMES).nullable().optional(),
});

export { campaignSchema, type Campaign };

export const cycleStateSchema = z.object({
  cycleId: z.string(),
  requestedBy: z.string(),
  asOf: z.string(),
  settings: cycleSettingsSchema,
  status: cycleStatusSchema.default("running"),
  agents: z.record(z.string(), provenance).default({}),
  refresh: z
    .object({
      segmentRunId: z.string(),
      customers: z.number(),
      k: z.number(),
      silhouette: z.number().nullable(),
      daviesBouldin: z.number().nullable(),
      segments: z.array(segmentSummarySchema),
      identity: z.object({
        matched: z.number(),
        births: z.array(z.string()),
        deaths: z.array(z.string()),
        stability: z.number().nullable(),
        /** Customers who changed segment since the last run, with the largest flows (absent in older checkpoints and on a first run). */
        migrations: z
          .object({
            moved: z.number(),
            entered: z.number(),
            left: z.number(),
            flows: z.array(z.object({ from: z.string(), to: z.string(), customers: z.number() })),
          })
          .optional(),
      }),
      outliers: z.number(),
      churnAuc: z.number().nullable(),
      seconds: z.number(),
      /** Wall seconds per refresh phase (load, segment, save, models, audit); absent in older checkpoints. */
      phases: z.record(z.string(), z.number()).optional(),
    })
    .optional(),
  plan: z
    .object({
      segments: z.array(
        z.object({
          segmentId: z.string(),
          name: z.string(),
          strategy: strategySchema,
          channel: channelSchema.nullable(),
          offerDepth: z.number(),
          sendHourLocal: z.number(),
          contacts: z.number(),
          budget: z.number(),
          expectedIncrementalMargin: z.number(),
          reasons: z.array(z.string()),
          upliftSource: z.string(),
          /** The segment's campaigns: one per channel × offer depth its customers were given (absent in older checkpoints). */
          campaigns: z
            .array(z.object({ campaignId: z.string(), channel: channelSchema, offerDepth: z.number(), contacts: z.number() }))
            .optional(),
        }),
      ),
      considered: z.number(),
      contacts: z.number(),
      skipped: z.record(z.string(), z.number()),
    })
    .optional(),
  copy: z.object({ campaigns: z.array(campaignSchema) }).optional(),
  review: z
    .object({
      checks: z.array(z.object({ check: z.string(), subject: z.string(), passed: z.boolean(), reasons: z.array(z.string()) })),
      risk: z.object({ tier: z.string(), triggers: z.array(z.object({ code: z.string(), message: z.string() })) }),
      approvalId: z.string(),
      autoApproved: z.boolean(),
      expiresAt: z.string(),
    })
    .optional(),
  approval: z
    .object({ decision: z.enum(["approved", "rejected"]), by: z.string(), reason: z.string().optional(), at: z.string() })
    .optional(),
  activation: z
    .object({
      experimentId: z.string(),
      activatedAt: z.string(),
      treated: z.number(),
      holdout: z.number(),
      globalControl: z.number(),
      shards: z.number(),
      measureAt: z.string(),
    })
    .optional(),
  measurement: z
    .object({
      measuredAt: z.string(),
      headline: z.string(),
      lines: z.array(z.string()),
      groups: z.array(z.record(z.string(), z.unknown())),
      srmFlagged: z.boolean(),
    })
    .optional(),
  learn: z
    .object({
      models: z.array(z.object({ strategy: z.string(), runId: z.string(), treated: z.number(), holdout: z.number() })),
      skipped: z.array(z.string()),
    })
    .optional(),
  llm: z
    .object({ calls: z.number(), failures: z.number(), promptTokens: z.number(), completionTokens: z.number(), costUsd: z.number() })
    .default({ calls: 0, failures: 0, promptTokens: 0, completionTokens: 0, costUsd: 0 }),
});
export type CycleState = z.infer<typeof cycleStateSchema>;
