import { z } from "zod";
import { defineTool } from "./define-tool.js";

/**
 * Uplift from all of Pulse's own randomised evidence: every cycle's treated-vs-holdout readout,
 * per strategy × channel × offer depth, accumulated with an exponential decay for old evidence
 * (weight 2^(-age / halfLife) on each readout's counts), then combined with the documented prior
 * by precision weighting. The output says per option whether the decision rests on the learned
 * evidence (its precision exceeds the prior's) or on the prior, with the figures behind it.
 */

const optionKey = z.object({ strategy: z.string().min(1), channel: z.string().min(1), offerDepth: z.number().min(0).max(1) });

export const EvidenceReadoutSchema = optionKey.extend({
  /** When the readout was measured (ms since epoch). */
  measuredAt: z.number(),
  treated: z.number().int().nonnegative(),
  treatedConversions: z.number().int().nonnegative(),
  holdout: z.number().int().nonnegative(),
  holdoutConversions: z.number().int().nonnegative(),
});
export type EvidenceReadout = z.infer<typeof EvidenceReadoutSchema>;

export const UpliftEvidenceInputSchema = z.object({
  readouts: z.array(EvidenceReadoutSchema),
  /** The options to price, each with its prior uplift (incremental conversion per contact) and the prior's standard deviation. */
  options: z.array(optionKey.extend({ priorUplift: z.number(), priorSd: z.number().positive() })),
  asOf: z.number(),
  halfLifeDays: z.number().positive().default(28),
});
export type UpliftEvidenceInput = z.input<typeof UpliftEvidenceInputSchema>;

export const UpliftEvidenceOutputSchema = z.array(
  optionKey.extend({
    uplift: z.number(),
    sd: z.number(),
    source: z.enum(["learned", "prior"]),
    learned: z
      .object({ uplift: z.number(), se: z.number(), treated: z.number(), holdout: z.number(), readouts: z.number().int() })
      .nullable(),
    reason: z.string(),
  }),
);
export type UpliftEvidence = z.infer<typeof UpliftEvidenceOutputSchema>;

const DAY_MS = 86_400_000;
const keyOf = (o: { strategy: string; channel: string; offerDepth: number }) => `${o.strategy}|${o.channel}|${o.offerDepth.toFixed(4)}`;

export function accumulateUpliftEvidence(raw: UpliftEvidenceInput): UpliftEvidence {
  const input = UpliftEvidenceInputSchema.parse(raw);
  const pooled = new Map<string, { nt: number; ct: number; nh: number; ch: number; readouts: number }>();
  for (const r of input.readouts) {
    if (r.measuredAt > input.asOf) continue; // evidence from the future is not evidence yet
    const w = 2 ** (-(input.asOf - r.measuredAt) / (input.halfLifeDays * DAY_MS));
    const p = pooled.get(keyOf(r)) ?? { nt: 0, ct: 0, nh: 0, ch: 0, readouts: 0 };
    p.nt += w * r.treated;
    p.ct += w * Math.min(r.treatedConversions, r.treated);
    p.nh += w * r.holdout;
    p.ch += w * Math.min(r.holdoutConversions, r.holdout);
    p.readouts += 1;
    pooled.set(keyOf(r), p);
  }
  return input.options.map((o) => {
    const key = { strategy: o.strategy, channel: o.channel, offerDepth: o.offerDepth };
    const p = pooled.get(keyOf(o));
    const priorPrecision = 1 / o.priorSd ** 2;
    if (p === undefined || p.nt < 1 || p.nh < 1) {
      return {
        ...key,
        uplift: o.priorUplift,
        sd: o.priorSd,
        source: "prior" as const,
        learned: null,
        reason: "no randomised evidence yet: prior",
      };
    }
    // Rates with a half pseudo-count each way, so a zero-conversion arm still has a variance.
    const rt = (p.ct + 0.5) / (p.nt + 1);
    const rh = (p.ch + 0.5) / (p.nh + 1);
    const uplift = rt - rh;
    const se = Math.sqrt((rt * (1 - rt)) / (p.nt + 1) + (rh * (1 - rh)) / (p.nh + 1));
    const learnedPrecision = 1 / se ** 2;
    const combined = (o.priorUplift * priorPrecision + uplift * learnedPrecision) / (priorPrecision + learnedPrecision);
    const source = learnedPrecision > priorPrecision ? ("learned" as const) : ("prior" as const);
    const learned = { uplift, se, treated: p.nt, holdout: p.nh, readouts: p.readouts };
    const reason =
      `${p.readouts} readout(s), decayed n ${p.nt.toFixed(0)} treated / ${p.nh.toFixed(0)} holdout: learned ${(uplift * 100).toFixed(2)} ± ${(se * 100).toFixed(2)} pp ` +
      `vs prior ${(o.priorUplift * 100).toFixed(2)} ± ${(o.priorSd * 100).toFixed(2)} pp; ${source === "learned" ? "the evidence outweighs the prior" : "the prior still outweighs the evidence"}`;
    return { ...key, uplift: combined, sd: Math.sqrt(1 / (priorPrecision + learnedPrecision)), source, learned, reason };
  });
}

export const upliftEvidenceTool = defineTool({
  name: "uplift_evidence",
  description:
    "Accumulates every cycle's randomised holdout readouts per strategy × channel × offer depth, decaying old evidence, and combines them with the prior; says per option whether it rests on learned evidence or on the prior.",
  input: UpliftEvidenceInputSchema,
  output: UpliftEvidenceOutputSchema,
  fn: (input) => accumulateUpliftEvidence(input),
});
