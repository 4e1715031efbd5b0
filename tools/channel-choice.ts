import { z } from "zod";
import { channelSchema } from "../ingest/formats.js";
import { defineTool } from "./define-tool.js";

/**
 * Per-customer channel: among the channels the customer consented to (and that are not backed off),
 * the one with the best expected uplift net of its cost.
 *
 * The segment's measured uplift per send on a channel (from holdouts) is scaled by how responsive
 * this customer is on it relative to the segment: the customer's response rate is shrunk toward
 * the segment's with `priorSends` pseudo-sends (beta-binomial), so a customer with little history
 * gets the segment's rates and one with much history gets their own.
 *   rate_c = (responses + priorSends × segmentRate) / (sends + priorSends)
 *   uplift = segmentUplift × rate_c / segmentRate
 *   net    = uplift × valuePerConversion − costPerMessage
 */

/** Pseudo-sends a customer's own rate is shrunk with toward the segment's (the schema's default). */
export const CHANNEL_PRIOR_SENDS = 10;

export const ChannelOptionSchema = z.object({
  channel: channelSchema,
  consented: z.boolean(),
  backedOff: z.boolean().default(false),
  /** The customer's own sends and responses (clicks or conversions) on this channel. */
  sends: z.number().int().nonnegative(),
  responses: z.number().int().nonnegative(),
  segmentResponseRate: z.number().min(0).max(1),
  /** Segment's incremental conversion per send on this channel (treated minus holdout). */
  segmentUplift: z.number().min(-1).max(1),
  costPerMessage: z.number().nonnegative(),
});
export type ChannelOption = z.infer<typeof ChannelOptionSchema>;

export const ChannelChoiceInputSchema = z.object({
  options: z.array(ChannelOptionSchema).min(1),
  valuePerConversion: z.number().nonnegative(),
  priorSends: z.number().positive().default(CHANNEL_PRIOR_SENDS),
});
export type ChannelChoiceInput = z.input<typeof ChannelChoiceInputSchema>;

export const ChannelChoiceOutputSchema = z.object({
  channel: channelSchema.nullable(),
  expectedNet: z.number(),
  scored: z.array(
    z.object({
      channel: channelSchema,
      eligible: z.boolean(),
      uplift: z.number(),
      net: z.number(),
      responseRate: z.number(),
      reason: z.string(),
    }),
  ),
  reasons: z.array(z.string()),
});
export type ChannelChoiceOutput = z.infer<typeof ChannelChoiceOutputSchema>;

export function chooseChannel(raw: ChannelChoiceInput): ChannelChoiceOutput {
  return chooseChannelUnchecked(ChannelChoiceInputSchema.parse(raw));
}

/**
 * chooseChannel for an input already known to be valid, every default filled in (the planner's, built
 * from the store's typed rows, once per contact).
 */
export function chooseChannelUnchecked(input: z.output<typeof ChannelChoiceInputSchema>): ChannelChoiceOutput {
  const scored = input.options.map((o) => {
    const rate = (Math.min(o.responses, o.sends) + input.priorSends * o.segmentResponseRate) / (o.sends + input.priorSends);
    const relative = o.segmentResponseRate > 0 ? rate / o.segmentResponseRate : 1;
    // An uplift is a difference of probabilities: within [-1, 1], also when a vanishing segment rate
    // makes the ratio overflow (and 0 when the segment's is 0, never 0 × Infinity).
    const uplift = o.segmentUplift === 0 ? 0 : Math.max(-1, Math.min(1, o.segmentUplift * relative));
    const net = uplift * input.valuePerConversion - o.costPerMessage;
    const eligible = o.consented && !o.backedOff;
    const why = !o.consented
      ? "no consent"
      : o.backedOff
        ? "backed off"
        : `uplift ${(uplift * 100).toFixed(2)} pp × value − cost = ${net.toFixed(3)}`;
    return { channel: o.channel, eligible, uplift, net, responseRate: rate, reason: `${o.channel}: ${why}` };
  });
  const candidates = scored.filter((s) => s.eligible && s.net > 0).sort((a, b) => b.net - a.net);
  const best = candidates[0];
  const reasons = scored.map((s) => s.reason);
  if (best === undefined) {
    reasons.push("no consented channel's expected uplift pays for its cost: no message");
    return { channel: null, expectedNet: 0, scored, reasons };
  }
  reasons.push(`chose ${best.channel}: best expected net ${best.net.toFixed(3)} among consented channels`);
  return { channel: best.channel, expectedNet: best.net, scored, reasons };
}

export const channelChoiceTool = defineTool({
  name: "channel_choice",
  description:
    "Chooses one customer's channel among those they consented to: the best expected uplift net of message cost, the customer's response rates shrunk toward the segment's. Returns null when no channel pays.",
  input: ChannelChoiceInputSchema,
  output: ChannelChoiceOutputSchema,
  fn: (input) => chooseChannel(input),
});
