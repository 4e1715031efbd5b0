import { createHash } from "node:crypto";
import type { StructuredToolInterface } from "@langchain/core/tools";
import { z } from "zod";
import { defineTool, toLangChainTool } from "./define-tool.js";
import { chiSquaredSurvival } from "./holdout-distributions.js";

/**
 * Randomized holdouts by deterministic salted hashing, a persistent global control group, and the
 * sample-ratio-mismatch (SRM) check. A customer's arm depends only on (salt, experiment, customer),
 * never on load order, batch size or who else is in the batch, so it is stable forever.
 */

/** A pseudonymous customer id, as ingestion accepts it; plain (no preprocessing) so agents get a JSON schema. */
const customerIdField = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces");

export const ARMS = ["treatment", "holdout", "global_control"] as const;
export const armSchema = z.enum(ARMS);
export type Arm = z.infer<typeof armSchema>;

/** Salts and experiment ids are hashed as `salt|experiment|customer`; forbidding "|" in the first two keeps that encoding unambiguous. */
const hashKeyField = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[^|]+$/, "must not contain '|'");
const shareField = z.number().min(0).max(1);

/** Uniform in [0, 1) from the first 52 bits of SHA-256 of the parts joined by "|". */
export function hashToUnit(...parts: string[]): number {
  const digest = createHash("sha256").update(parts.join("|")).digest();
  const high = digest.readUInt32BE(0); // 32 bits
  const low = digest.readUInt32BE(4) >>> 12; // next 20 bits
  return (high * 2 ** 20 + low) / 2 ** 52;
}

export const globalControlConfigSchema = z.object({
  /** Separate from experiment salts, so membership is the same in every experiment. */
  salt: hashKeyField.default("pulse-global-control-v1"),
  share: shareField.default(0.02),
});
export type GlobalControlConfig = z.infer<typeof globalControlConfigSchema>;

/** Membership of the persistent global control group: never contacted by any campaign. */
export function globalControlBucket(customerId: string, config: GlobalControlConfig): number {
  return hashToUnit(config.salt, "global-control", customerId);
}

export function isInGlobalControl(customerId: string, config: Partial<GlobalControlConfig> = {}): boolean {
  return globalControlMembership(config)(customerId);
}

/** isInGlobalControl with the configuration checked once, for asking about many customers. */
export function globalControlMembership(config: Partial<GlobalControlConfig> = {}): (customerId: string) => boolean {
  const parsed = globalControlConfigSchema.parse(config);
  return (customerId) => globalControlBucket(customerId, parsed) < parsed.share;
}

export const holdoutInputSchema = z.object({
  experimentId: hashKeyField,
  salt: hashKeyField.default("pulse-holdout-v1"),
  customers: z.array(
    z.object({
      customerId: customerIdField,
      /** The customer's segment; selects the holdout share. */
      segment: z.string().min(1).max(128).optional(),
    }),
  ),
  /** Holdout share per segment, e.g. { champions: 0.1, hibernating: 0.2 }. */
  holdoutShares: z.record(z.string(), shareField).default({}),
  defaultHoldoutShare: shareField.default(0.1),
  globalControl: globalControlConfigSchema.prefault({}),
});
export type HoldoutInput = z.input<typeof holdoutInputSchema>;

export const holdoutAssignmentSchema = z.object({
  customerId: z.string(),
  segment: z.string().nullable(),
  arm: armSchema,
  /** The experiment hash bucket in [0, 1); holdout iff bucket < holdoutShare. */
  bucket: z.number().min(0).max(1),
  /** The global-control hash bucket in [0, 1); global control iff below the global share. */
  globalBucket: z.number().min(0).max(1),
  holdoutShare: shareField,
  reason: z.string(),
});
export type HoldoutAssignment = z.infer<typeof holdoutAssignmentSchema>;

export const holdoutOutputSchema = z.object({
  experimentId: z.string(),
  assignments: z.array(holdoutAssignmentSchema),
  counts: z.object({ treatment: z.number().int(), holdout: z.number().int(), global_control: z.number().int() }),
});
export type HoldoutOutput = z.infer<typeof holdoutOutputSchema>;

function assignParsed(input: z.infer<typeof holdoutInputSchema>): HoldoutOutput {
  const counts = { treatment: 0, holdout: 0, global_control: 0 };
  const gc = input.globalControl;
  const assignments = input.customers.map(({ customerId, segment }): HoldoutAssignment => {
    const ownShare = segment !== undefined && Object.hasOwn(input.holdoutShares, segment);
    const share = ownShare ? input.holdoutShares[segment] : input.defaultHoldoutShare;
    const shareSource = ownShare ? `segment ${segment}` : "default";
    const bucket = hashToUnit(input.salt, input.experimentId, customerId);
    const globalBucket = globalControlBucket(customerId, gc);
    let arm: Arm;
    let reason: string;
    if (globalBucket < gc.share) {
      arm = "global_control";
      reason = `In the global control group (global bucket ${globalBucket.toFixed(4)} < ${gc.share}); never contacted in any experiment.`;
    } else if (bucket < share) {
      arm = "holdout";
      reason = `Held out of ${input.experimentId}: bucket ${bucket.toFixed(4)} < holdout share ${share} (${shareSource}).`;
    } else {
      arm = "treatment";
      reason = `Treated in ${input.experimentId}: bucket ${bucket.toFixed(4)} >= holdout share ${share} (${shareSource}).`;
    }
    counts[arm] += 1;
    return { customerId, segment: segment ?? null, arm, bucket, globalBucket, holdoutShare: share, reason };
  });
  return { experimentId: input.experimentId, assignments, counts };
}

export const holdoutToolDefinition = defineTool({
  name: "assign_holdout",
  description:
    "Assigns customers of an experiment to treatment, holdout (randomized per-segment share) or the persistent global control group, " +
    "by a deterministic salted SHA-256 hash: stable forever and independent of load order.",
  input: holdoutInputSchema,
  output: holdoutOutputSchema,
  fn: assignParsed,
});

/** Assigns arms; validates input and output. */
export function assignHoldout(input: HoldoutInput): HoldoutOutput {
  return holdoutToolDefinition.run(input);
}

// ---------------------------------------------------------------------------------------------
// Sample-ratio mismatch

export const sampleRatioInputSchema = z
  .object({
    /** Observed count per arm (any arm names). */
    observed: z.record(z.string(), z.number().int().min(0)),
    /** Designed share per arm; normalized to sum to 1. Arms missing here are expected to be empty. */
    expected: z.record(z.string(), z.number().min(0)),
    alpha: z.number().gt(0).lt(1).default(0.001),
  })
  .refine((v) => Object.values(v.expected).some((s) => s > 0), "expected shares must not all be zero");
export type SampleRatioInput = z.input<typeof sampleRatioInputSchema>;

export const sampleRatioOutputSchema = z.object({
  total: z.number().int(),
  chiSquared: z.number().min(0),
  degreesOfFreedom: z.number().int().min(0),
  pValue: z.number().min(0).max(1),
  mismatch: z.boolean(),
  arms: z.array(z.object({ arm: z.string(), observed: z.number().int(), expected: z.number(), expectedShare: z.number() })),
  reason: z.string(),
});
export type SampleRatioOutput = z.infer<typeof sampleRatioOutputSchema>;

function sampleRatioParsed(input: z.infer<typeof sampleRatioInputSchema>): SampleRatioOutput {
  const arms = [...new Set([...Object.keys(input.expected), ...Object.keys(input.observed)])].sort();
  const shareSum = Object.values(input.expected).reduce((a, b) => a + b, 0);
  const total = arms.reduce((n, arm) => n + (input.observed[arm] ?? 0), 0);
  const rows = arms.map((arm) => {
    const expectedShare = (input.expected[arm] ?? 0) / shareSum;
    return { arm, observed: input.observed[arm] ?? 0, expected: expectedShare * total, expectedShare };
  });
  const describe = rows.map((r) => `${r.arm} ${r.observed} vs ${r.expected.toFixed(1)} expected`).join(", ");
  if (total === 0) {
    return {
      total,
      chiSquared: 0,
      degreesOfFreedom: 0,
      pValue: 1,
      mismatch: false,
      arms: rows,
      reason: "No observations; nothing to check.",
    };
  }
  // An arm designed to be empty that is not is a mismatch outright (its chi-squared term is infinite).
  const impossible = rows.filter((r) => r.expectedShare === 0 && r.observed > 0);
  if (impossible.length > 0) {
    return {
      total,
      chiSquared: Number.MAX_VALUE,
      degreesOfFreedom: rows.filter((r) => r.expectedShare > 0).length,
      pValue: 0,
      mismatch: true,
      arms: rows,
      reason: `Sample ratio mismatch: ${impossible.map((r) => r.arm).join(", ")} observed but designed to be empty (${describe}).`,
    };
  }
  const live = rows.filter((r) => r.expectedShare > 0);
  const chiSquared = live.reduce((s, r) => s + (r.observed - r.expected) ** 2 / r.expected, 0);
  const degreesOfFreedom = live.length - 1;
  const pValue = degreesOfFreedom > 0 ? chiSquaredSurvival(chiSquared, degreesOfFreedom) : 1;
  const mismatch = pValue < input.alpha;
  const reason = mismatch
    ? `Sample ratio mismatch: chi-squared ${chiSquared.toFixed(2)} on ${degreesOfFreedom} df, p = ${pValue.toExponential(2)} < ${input.alpha} (${describe}). Check assignment and logging before trusting lift.`
    : `Arm counts match the design: chi-squared ${chiSquared.toFixed(2)} on ${degreesOfFreedom} df, p = ${pValue.toPrecision(3)} >= ${input.alpha} (${describe}).`;
  return { total, chiSquared, degreesOfFreedom, pValue, mismatch, arms: rows, reason };
}

export const sampleRatioToolDefinition = defineTool({
  name: "check_sample_ratio",
  description:
    "Chi-squared goodness-of-fit of observed arm counts against the designed shares; flags a sample ratio mismatch when p < alpha (default 0.001).",
  input: sampleRatioInputSchema,
  output: sampleRatioOutputSchema,
  fn: sampleRatioParsed,
});

/** Sample-ratio-mismatch check; validates input and output. */
export function checkSampleRatio(input: SampleRatioInput): SampleRatioOutput {
  return sampleRatioToolDefinition.run(input);
}

// ---------------------------------------------------------------------------------------------
// Agent tools

export interface HoldoutToolDeps {
  /** Salts and shares are configuration, not something an agent chooses. */
  salt?: string;
  globalControl?: Partial<GlobalControlConfig>;
  defaultHoldoutShare?: number;
}

/**
 * The holdout tool for agents. Salts come from deps; the agent passes the experiment, the customers
 * with their segments and, optionally, per-segment shares.
 */
export function createHoldoutTool(deps: HoldoutToolDeps = {}): StructuredToolInterface {
  const schema = z.object({
    experimentId: holdoutInputSchema.shape.experimentId,
    customers: holdoutInputSchema.shape.customers,
    holdoutShares: z.record(z.string(), shareField).optional(),
  });
  return toLangChainTool(holdoutToolDefinition, {
    schema,
    adapt: (args: z.infer<typeof schema>): HoldoutInput => ({
      ...args,
      salt: deps.salt,
      globalControl: deps.globalControl ?? {},
      defaultHoldoutShare: deps.defaultHoldoutShare,
    }),
  });
}

export function createSampleRatioTool(): StructuredToolInterface {
  return toLangChainTool(sampleRatioToolDefinition);
}
