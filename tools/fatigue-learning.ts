import { z } from "zod";
import { CHANNELS, channelSchema, type Channel } from "../ingest/formats.js";
import { defineTool } from "./define-tool.js";

/**
 * Fatigue that learns: per segment, the cool-down threshold (tools/fatigue.ts: above it a customer
 * rests) and the rolling frequency cap per channel, moved one step a cycle by what the segment's
 * messages measured. Value per send = responses × value of a response − unsubscribes × cost of an
 * unsubscribe (a lost marketing audience). Where it is clearly negative (below −z standard errors)
 * the segment gets fewer contacts (lower threshold, caps one lower); where clearly positive, more
 * (higher threshold, caps one higher); in between, or with too few sends, the values stay.
 * The guardrail policy's caps are hard limits: a learned cap never exceeds the policy's cap for its
 * channel, however well responses pay, and is re-clamped every cycle in case the policy tightened.
 */

export const CHANGE_CODES = ["responses_pay", "optouts_outweigh", "inconclusive", "insufficient_evidence"] as const;
export type ChangeCode = (typeof CHANGE_CODES)[number];

const count = z.number().int().min(0);
export const channelEvidenceSchema = z.object({
  channel: channelSchema,
  /** Messages delivered. */
  sends: count,
  unsubscribes: count,
  /** Conversions attributed to the messages. */
  responses: count,
});
export type ChannelEvidence = z.infer<typeof channelEvidenceSchema>;

const capsSchema = z.object({ email: count.nullable(), sms: count.nullable(), push: count.nullable(), in_app: count.nullable() });
export type ChannelCaps = z.infer<typeof capsSchema>;

export const learnedFatigueSchema = z.object({
  cooldownThreshold: z.number().min(0).max(1),
  /** Sends per channel in the policy's rolling window; null = no cap (only when the policy has none either). */
  rollingCaps: capsSchema,
});
export type LearnedFatigue = z.infer<typeof learnedFatigueSchema>;

export const segmentEvidenceSchema = z.object({
  segmentId: z.string().min(1).max(128),
  channels: z.array(channelEvidenceSchema),
  /** What the segment uses now (last cycle's learned values); absent: the defaults under the policy. */
  current: learnedFatigueSchema.optional(),
});
export type SegmentEvidence = z.input<typeof segmentEvidenceSchema>;

export const fatigueLearningConfigSchema = z.object({
  /** Value of one response (e.g. the margin of a converted order), in the same unit as the unsubscribe cost. */
  responseValue: z.number().positive().default(20),
  /** Cost of one unsubscribe: the value of the reach lost on that channel. */
  unsubscribeCost: z.number().positive().default(60),
  /** Fewer sends than this on a channel (or the segment) and nothing moves. */
  minSends: z.number().int().min(1).default(100),
  /** How many standard errors the net value per send must clear before anything moves. */
  z: z.number().min(0).default(1.64),
  defaultThreshold: z.number().min(0).max(1).default(0.7),
  thresholdStep: z.number().positive().max(0.5).default(0.05),
  minThreshold: z.number().min(0).max(1).default(0.4),
  maxThreshold: z.number().min(0).max(1).default(0.9),
  /** No learned cap goes below this. */
  minCap: z.number().int().min(0).default(1),
  /** Ceiling for a channel the policy leaves uncapped. */
  maxCapWithoutPolicy: z.number().int().min(1).default(14),
});
export type FatigueLearningConfig = z.infer<typeof fatigueLearningConfigSchema>;
export type FatigueLearningConfigInput = z.input<typeof fatigueLearningConfigSchema>;

export const fatigueLearningInputSchema = z.object({
  segments: z.array(segmentEvidenceSchema),
  /** The guardrail policy's rolling caps per channel (null = the policy sets none): the hard limits. */
  policyCaps: capsSchema,
  config: fatigueLearningConfigSchema.prefault({}),
});
export type FatigueLearningInput = z.input<typeof fatigueLearningInputSchema>;

const netSchema = z.object({ sends: count, unsubscribes: count, responses: count, netPerSend: z.number(), standardError: z.number() });
export const segmentChangeSchema = z.object({
  segmentId: z.string(),
  before: learnedFatigueSchema,
  after: learnedFatigueSchema,
  code: z.enum(CHANGE_CODES),
  /** The segment's totals behind the threshold's move. */
  evidence: netSchema,
  channels: z.array(netSchema.extend({ channel: channelSchema, code: z.enum(CHANGE_CODES) })),
  reason: z.string(),
});
export type SegmentChange = z.infer<typeof segmentChangeSchema>;
export const fatigueLearningOutputSchema = z.object({ segments: z.array(segmentChangeSchema) });
export type FatigueLearningOutput = z.infer<typeof fatigueLearningOutputSchema>;

/** Net value per send and its standard error (responses and unsubscribes as independent binomial rates). */
export function netPerSend(e: { sends: number; unsubscribes: number; responses: number }, config: FatigueLearningConfig) {
  const n = Math.max(1, e.sends);
  const r = Math.min(1, e.responses / n);
  const u = Math.min(1, e.unsubscribes / n);
  const netPerSend = config.responseValue * r - config.unsubscribeCost * u;
  const variance = (config.responseValue ** 2 * r * (1 - r) + config.unsubscribeCost ** 2 * u * (1 - u)) / n;
  return { sends: e.sends, unsubscribes: e.unsubscribes, responses: e.responses, netPerSend, standardError: Math.sqrt(variance) };
}

function verdict(net: ReturnType<typeof netPerSend>, config: FatigueLearningConfig): ChangeCode {
  if (net.sends < config.minSends) return "insufficient_evidence";
  if (net.netPerSend > config.z * net.standardError) return "responses_pay";
  if (net.netPerSend < -config.z * net.standardError) return "optouts_outweigh";
  return "inconclusive";
}

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** The ceiling of a learned cap on a channel: the policy's cap, or the tool's own ceiling where the policy has none. */
const ceilingOf = (policy: number | null, config: FatigueLearningConfig) => policy ?? config.maxCapWithoutPolicy;

function learnSegment(s: z.infer<typeof segmentEvidenceSchema>, policyCaps: ChannelCaps, config: FatigueLearningConfig): SegmentChange {
  const before: LearnedFatigue = s.current ?? {
    cooldownThreshold: config.defaultThreshold,
    rollingCaps: { ...policyCaps },
  };
  const totals = s.channels.reduce(
    (t, c) => ({ sends: t.sends + c.sends, unsubscribes: t.unsubscribes + c.unsubscribes, responses: t.responses + c.responses }),
    { sends: 0, unsubscribes: 0, responses: 0 },
  );
  const evidence = netPerSend(totals, config);
  const code = verdict(evidence, config);
  const step = code === "responses_pay" ? 1 : code === "optouts_outweigh" ? -1 : 0;
  const cooldownThreshold = round3(clamp(before.cooldownThreshold + step * config.thresholdStep, config.minThreshold, config.maxThreshold));

  const rollingCaps = { ...before.rollingCaps };
  const channels: SegmentChange["channels"] = [];
  for (const channel of CHANNELS) {
    const e = s.channels.find((c) => c.channel === channel);
    const ceiling = ceilingOf(policyCaps[channel], config);
    const start = before.rollingCaps[channel] ?? ceiling;
    let cap = Math.min(start, ceiling);
    if (e) {
      const net = netPerSend(e, config);
      const c = verdict(net, config);
      if (c === "responses_pay") cap = Math.min(ceiling, cap + 1);
      if (c === "optouts_outweigh") cap = Math.max(Math.min(config.minCap, ceiling), cap - 1);
      channels.push({ channel, code: c, ...net });
    }
    rollingCaps[channel] = policyCaps[channel] === null && cap >= ceiling && before.rollingCaps[channel] === null ? null : cap;
  }
  const after = { cooldownThreshold, rollingCaps };
  return { segmentId: s.segmentId, before, after, code, evidence, channels, reason: reasonOf(s.segmentId, code, evidence, before, after) };
}

function reasonOf(segmentId: string, code: ChangeCode, e: ReturnType<typeof netPerSend>, before: LearnedFatigue, after: LearnedFatigue) {
  const measured = `${e.sends} sends, ${e.responses} responses, ${e.unsubscribes} unsubscribes: net ${e.netPerSend.toFixed(3)} ± ${e.standardError.toFixed(3)} per send`;
  const caps = CHANNELS.filter((c) => before.rollingCaps[c] !== after.rollingCaps[c])
    .map((c) => `${c} cap ${before.rollingCaps[c] ?? "none"} → ${after.rollingCaps[c] ?? "none"}`)
    .join(", ");
  const moved = `cool-down threshold ${before.cooldownThreshold} → ${after.cooldownThreshold}${caps ? `; ${caps}` : ""}`;
  switch (code) {
    case "responses_pay":
      return `${segmentId}: responses pay for the contacts (${measured}); more contacts: ${moved}`;
    case "optouts_outweigh":
      return `${segmentId}: opt-outs outweigh responses (${measured}); fewer contacts: ${moved}`;
    case "inconclusive":
      return `${segmentId}: no clear balance (${measured}); ${moved}`;
    case "insufficient_evidence":
      return `${segmentId}: too few sends to learn from (${measured}); ${moved}`;
  }
}

function learnParsed(input: z.infer<typeof fatigueLearningInputSchema>): FatigueLearningOutput {
  return { segments: input.segments.map((s) => learnSegment(s, input.policyCaps, input.config)) };
}

export const fatigueLearningToolDefinition = defineTool({
  name: "learn_fatigue",
  description:
    "Per segment, moves the cool-down threshold and the per-channel rolling frequency caps one step toward fewer contacts where measured " +
    "unsubscribes outweigh responses, toward more where responses pay, never above the guardrail policy's caps; with the evidence and reason.",
  input: fatigueLearningInputSchema,
  output: fatigueLearningOutputSchema,
  fn: learnParsed,
});

/** Learns per-segment fatigue settings; validates input and output. */
export function learnFatigue(input: FatigueLearningInput): FatigueLearningOutput {
  return fatigueLearningToolDefinition.run(input);
}

/** What eligibility applies to one candidate of a segment: its channel's learned cap and the learned threshold. */
export function learnedLimitsFor(
  learned: LearnedFatigue | undefined,
  channel: Channel,
): { rollingCap?: number; cooldownThreshold?: number } {
  if (!learned) return {};
  const cap = learned.rollingCaps[channel];
  return { ...(cap !== null ? { rollingCap: cap } : {}), cooldownThreshold: learned.cooldownThreshold };
}
