import type { StructuredToolInterface } from "@langchain/core/tools";
import { FATIGUE_STRATEGIES, type FatigueStrategy } from "../core/domain.js";
import { z } from "zod";
import type { Clock } from "../core/clock.js";
import { CHANNELS, RESPONSE_TYPES, channelSchema, type Channel } from "../ingest/formats.js";
import { defineTool, toLangChainTool } from "./define-tool.js";

/**
 * Contact fatigue and engagement per customer and channel, and the founding design's base strategy:
 * fatigue > 0.7 → cooldown; engagement < 0.2 → reengage; else targeted_promo. After three unanswered
 * exposures on a channel, back off that channel.
 *
 * Channel fatigue = 1 − (1 − volume)(1 − streak), an "either one is enough" combination that stays in
 * [0, 1] and rises with each term:
 * - volume = 1 − 2^(−load), load = exponentially decayed exposures ÷ the decayed count a customer
 *   receiving exactly the channel's weekly tolerance would carry at steady state. At tolerance
 *   volume is 0.5; at twice the tolerance, 0.75.
 * - streak = 1 − 2^(−unanswered ÷ streakHalfSaturation): exposures since the last open, click or
 *   conversion on the channel.
 * A recent unsubscribe on a channel sets its fatigue to 1. The customer's fatigue is that of their
 * most fatigued channel, so one over-messaged channel is enough to cool down.
 *
 * An unanswered-streak back-off rests the channel, it does not close it: it lasts
 * `backoffRestDays` after the last unanswered exposure (times `backoffRestGrowth` per exposure
 * beyond the threshold; 1 by default, so a customer who does not answer gets at most one message
 * per rest on that channel, and targeting decides whether that one pays). Without the rest, a
 * back-off lasted until the whole streak left the 90-day lookback, so a customer who missed three
 * messages was unreachable for months while their fatigue, in the tool's volume term as in the
 * customer, had long faded; lapsed customers, whom a win-back is for, are exactly the ones who do
 * not answer.
 */

/** A pseudonymous customer id, as ingestion accepts it; plain (no preprocessing) so agents get a JSON schema. */
const customerIdField = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces");

export { FATIGUE_STRATEGIES, type FatigueStrategy };

export const BACKOFF_CODES = ["unanswered_streak", "unsubscribed", "bounced"] as const;
export type BackoffCode = (typeof BACKOFF_CODES)[number];

/** ISO 8601 instant with an explicit offset or Z; JSON-friendly for agents. */
const instantField = z.iso.datetime({ offset: true });
const DAY_MS = 86_400_000;

export const engagementEventSchema = z.object({
  channel: channelSchema,
  type: z.enum(RESPONSE_TYPES),
  at: instantField,
});
export type EngagementEvent = z.infer<typeof engagementEventSchema>;

const perChannel = (defaults: Record<Channel, number>, field: () => z.ZodNumber) =>
  z
    .object({
      email: field().default(defaults.email),
      sms: field().default(defaults.sms),
      push: field().default(defaults.push),
      in_app: field().default(defaults.in_app),
    })
    .prefault({});

export const fatigueConfigSchema = z.object({
  /** Half-life of an exposure's weight in the volume term. */
  halfLifeDays: z.number().positive().default(7),
  /** Events older than this are ignored entirely. */
  lookbackDays: z.number().positive().default(90),
  /**
   * Messages a week each channel tolerates. Email ~5 (engaged subscribers); push 2 (37% of app users
   * turn push off at 2-5 a week); SMS treated as at least as intrusive as push; in-app is seen only
   * in a session the customer opened.
   */
  weeklyTolerance: perChannel({ email: 5, sms: 2, push: 2, in_app: 7 }, () => z.number().positive()),
  /** Unanswered exposures on a channel at which that channel is backed off. */
  unansweredBackoff: z.number().int().min(1).default(3),
  /**
   * Days an unanswered-streak back-off lasts after the last unanswered exposure: two half-lives of
   * the volume term (the exposures' weight down to a quarter).
   */
  backoffRestDays: z.number().positive().default(14),
  /** Factor the rest grows by with each unanswered exposure beyond the threshold (1: a constant rest, a cadence for non-responders). */
  backoffRestGrowth: z.number().min(1).default(1),
  /** Unanswered exposures at which the streak term reaches 0.5. */
  streakHalfSaturation: z.number().positive().default(10),
  /** An unsubscribe this recent makes the channel's fatigue 1 and backs it off. */
  unsubscribeLookbackDays: z.number().positive().default(30),
  /** Half-life of an exposure's weight in the engagement rate. */
  engagementHalfLifeDays: z.number().positive().default(14),
  /** Engagement with no history, and its weight in pseudo-exposures (a Bayesian prior). */
  engagementPrior: z.number().min(0).max(1).default(0.3),
  engagementPriorWeight: z.number().min(0).default(1),
  cooldownThreshold: z.number().min(0).max(1).default(0.7),
  reengageThreshold: z.number().min(0).max(1).default(0.2),
});
export type FatigueConfig = z.infer<typeof fatigueConfigSchema>;
export type FatigueConfigInput = z.input<typeof fatigueConfigSchema>;

export const customerHistorySchema = z.object({
  customerId: customerIdField,
  events: z.array(engagementEventSchema),
});
export type CustomerHistory = z.input<typeof customerHistorySchema>;

export const fatigueInputSchema = z.object({
  asOf: instantField,
  customers: z.array(customerHistorySchema),
  config: fatigueConfigSchema.prefault({}),
});
export type FatigueInput = z.input<typeof fatigueInputSchema>;

const unit = z.number().min(0).max(1);

export const channelFatigueSchema = z.object({
  channel: channelSchema,
  fatigue: unit,
  engagement: unit,
  /** Volume and streak terms of the fatigue score. */
  volume: unit,
  streak: unit,
  exposures: z.number().int().min(0),
  decayedExposures: z.number().min(0),
  unansweredStreak: z.number().int().min(0),
  lastResponseAt: z.string().nullable(),
  recentUnsubscribeAt: z.string().nullable(),
});
export type ChannelFatigue = z.infer<typeof channelFatigueSchema>;

export const backedOffChannelSchema = z.object({ channel: channelSchema, code: z.enum(BACKOFF_CODES), reason: z.string() });
export type BackedOffChannel = z.infer<typeof backedOffChannelSchema>;

export const customerFatigueSchema = z.object({
  customerId: z.string(),
  fatigue: unit,
  /** The channel whose fatigue is the customer's; null when there is no history. */
  fatigueChannel: channelSchema.nullable(),
  engagement: unit,
  channels: z.array(channelFatigueSchema),
  backedOff: z.array(backedOffChannelSchema),
  /** Channels not backed off. Consent and caps are checked separately (tools/eligibility). */
  allowedChannels: z.array(channelSchema),
  strategy: z.enum(FATIGUE_STRATEGIES),
  reason: z.string(),
});
export type CustomerFatigue = z.infer<typeof customerFatigueSchema>;

export const fatigueOutputSchema = z.object({ asOf: z.string(), customers: z.array(customerFatigueSchema) });
export type FatigueOutput = z.infer<typeof fatigueOutputSchema>;

const RESPONSES = new Set<string>(["open", "click", "conversion"]);
/** At equal timestamps, a delivery precedes the responses to it. */
const TYPE_ORDER: Record<EngagementEvent["type"], number> = { delivered: 0, bounce: 1, open: 2, click: 3, conversion: 4, unsubscribe: 5 };

interface ChannelState {
  exposures: number;
  decayedExposures: number;
  streak: number;
  lastResponseAt: number | null;
  /** The latest delivery (the streak's last unanswered exposure when the streak is above 0). */
  lastExposureAt: number | null;
  unsubscribeAt: number | null;
  /** A bounce with no delivery after it. */
  bouncedAt: number | null;
  engagementWeight: number;
  engagementAnswered: number;
}

function channelState(events: { type: EngagementEvent["type"]; at: number }[], asOf: number, config: FatigueConfig): ChannelState {
  const s: ChannelState = {
    exposures: 0,
    decayedExposures: 0,
    streak: 0,
    lastResponseAt: null,
    lastExposureAt: null,
    unsubscribeAt: null,
    bouncedAt: null,
    engagementWeight: 0,
    engagementAnswered: 0,
  };
  // Each response is credited to the latest exposure before it, once, so an open and a click on the
  // same message count as one answered exposure.
  let lastExposure: { weight: number; answered: boolean } | null = null;
  for (const e of events) {
    const ageDays = (asOf - e.at) / DAY_MS;
    const engagementWeight = 2 ** (-ageDays / config.engagementHalfLifeDays);
    if (e.type === "delivered") {
      s.exposures += 1;
      s.decayedExposures += 2 ** (-ageDays / config.halfLifeDays);
      s.streak += 1;
      s.lastExposureAt = e.at;
      s.bouncedAt = null;
      lastExposure = { weight: engagementWeight, answered: false };
      s.engagementWeight += engagementWeight;
    } else if (RESPONSES.has(e.type)) {
      s.streak = 0;
      s.lastResponseAt = e.at;
      if (lastExposure === null) {
        // A response with no recorded delivery implies one.
        lastExposure = { weight: engagementWeight, answered: false };
        s.engagementWeight += engagementWeight;
      }
      if (!lastExposure.answered) {
        lastExposure.answered = true;
        s.engagementAnswered += lastExposure.weight;
      }
    } else if (e.type === "unsubscribe") {
      if (ageDays <= config.unsubscribeLookbackDays) s.unsubscribeAt = e.at;
    } else if (e.type === "bounce") {
      s.bouncedAt = e.at;
    }
  }
  return s;
}

/**
 * When an unanswered streak's back-off ends: `backoffRestDays` after the last unanswered exposure,
 * times `backoffRestGrowth` for each exposure beyond the threshold; null when the streak is below the threshold
 * (nothing to back off).
 */
export function unansweredBackoffEnd(
  streak: number,
  lastExposureAt: number | null,
  config: Pick<FatigueConfig, "unansweredBackoff" | "backoffRestDays" | "backoffRestGrowth">,
): number | null {
  if (streak < config.unansweredBackoff || lastExposureAt === null) return null;
  return lastExposureAt + config.backoffRestDays * config.backoffRestGrowth ** (streak - config.unansweredBackoff) * DAY_MS;
}

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
const f2 = (x: number) => x.toFixed(2);

/** An engagement event with its time as epoch milliseconds. */
export interface TimedEngagementEvent {
  channel: Channel;
  type: EngagementEvent["type"];
  at: number;
}

function assessCustomer(
  customer: { customerId: string; events: readonly TimedEngagementEvent[] },
  asOf: number,
  config: FatigueConfig,
): CustomerFatigue {
  const byChannel = new Map<Channel, { type: EngagementEvent["type"]; at: number }[]>();
  const from = asOf - config.lookbackDays * DAY_MS;
  for (const e of customer.events) {
    const at = e.at;
    if (at > asOf || at < from) continue;
    const list = byChannel.get(e.channel) ?? [];
    list.push({ type: e.type, at });
    byChannel.set(e.channel, list);
  }

  const channels: ChannelFatigue[] = [];
  const backedOff: BackedOffChannel[] = [];
  let pooledWeight = 0;
  let pooledAnswered = 0;
  for (const channel of CHANNELS) {
    const events = (byChannel.get(channel) ?? []).sort((a, b) => a.at - b.at || TYPE_ORDER[a.type] - TYPE_ORDER[b.type]);
    const s = channelState(events, asOf, config);
    const tolerance = config.weeklyTolerance[channel];
    const steadyState = ((tolerance / 7) * config.halfLifeDays) / Math.LN2;
    const volume = 1 - 2 ** (-s.decayedExposures / steadyState);
    const streak = 1 - 2 ** (-s.streak / config.streakHalfSaturation);
    const fatigue = s.unsubscribeAt !== null ? 1 : 1 - (1 - volume) * (1 - streak);
    const engagement = smoothedRate(s.engagementAnswered, s.engagementWeight, config);
    const backoffEnd = unansweredBackoffEnd(s.streak, s.lastExposureAt, config);
    pooledWeight += s.engagementWeight;
    pooledAnswered += s.engagementAnswered;
    channels.push({
      channel,
      fatigue: clamp01(fatigue),
      engagement,
      volume: clamp01(volume),
      streak: clamp01(streak),
      exposures: s.exposures,
      decayedExposures: s.decayedExposures,
      unansweredStreak: s.streak,
      lastResponseAt: iso(s.lastResponseAt),
      recentUnsubscribeAt: iso(s.unsubscribeAt),
    });
    if (s.unsubscribeAt !== null) {
      backedOff.push({
        channel,
        code: "unsubscribed",
        reason: `Unsubscribed from ${channel} on ${iso(s.unsubscribeAt)}, within ${config.unsubscribeLookbackDays} days.`,
      });
    } else if (backoffEnd !== null && asOf < backoffEnd) {
      backedOff.push({
        channel,
        code: "unanswered_streak",
        reason: `${s.streak} ${channel} exposures unanswered since ${s.lastResponseAt === null ? "the start of the lookback window" : `the last response on ${iso(s.lastResponseAt)}`} (back off at ${config.unansweredBackoff}), resting the channel until ${iso(backoffEnd)}.`,
      });
    } else if (s.bouncedAt !== null) {
      backedOff.push({
        channel,
        code: "bounced",
        reason: `The last ${channel} message bounced on ${iso(s.bouncedAt)}; nothing delivered since.`,
      });
    }
  }

  const top = channels.reduce<ChannelFatigue | null>((best, c) => (c.fatigue > (best?.fatigue ?? 0) ? c : best), null);
  const fatigue = top?.fatigue ?? 0;
  const engagement = smoothedRate(pooledAnswered, pooledWeight, config);

  let strategy: FatigueStrategy;
  let reason: string;
  if (fatigue > config.cooldownThreshold) {
    strategy = "cooldown";
    const cause = top?.recentUnsubscribeAt
      ? `recent unsubscribe from ${top.channel}`
      : `${top?.channel}: volume ${f2(top?.volume ?? 0)}, ${top?.unansweredStreak ?? 0} unanswered`;
    reason = `Fatigue ${f2(fatigue)} (${cause}) > ${f2(config.cooldownThreshold)}: cool down.`;
  } else if (engagement < config.reengageThreshold) {
    strategy = "reengage";
    reason = `Engagement ${f2(engagement)} < ${f2(config.reengageThreshold)} with fatigue ${f2(fatigue)} <= ${f2(config.cooldownThreshold)}: re-engage.`;
  } else {
    strategy = "targeted_promo";
    reason = `Fatigue ${f2(fatigue)} <= ${f2(config.cooldownThreshold)} and engagement ${f2(engagement)} >= ${f2(config.reengageThreshold)}: targeted promo.`;
  }
  if (backedOff.length > 0) reason += ` Backed off: ${backedOff.map((b) => `${b.channel} (${b.code})`).join(", ")}.`;

  const excluded = new Set(backedOff.map((b) => b.channel));
  return {
    customerId: customer.customerId,
    fatigue,
    fatigueChannel: top?.channel ?? null,
    engagement,
    channels,
    backedOff,
    allowedChannels: CHANNELS.filter((c) => !excluded.has(c)),
    strategy,
    reason,
  };
}

/** Decayed answered ÷ decayed exposures, shrunk toward the prior so a thin history does not swing to 0 or 1. */
function smoothedRate(answered: number, weight: number, config: FatigueConfig): number {
  const denominator = weight + config.engagementPriorWeight;
  if (denominator === 0) return config.engagementPrior;
  return clamp01((answered + config.engagementPrior * config.engagementPriorWeight) / denominator);
}

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

function assessParsed(input: z.infer<typeof fatigueInputSchema>): FatigueOutput {
  const asOf = Date.parse(input.asOf);
  return {
    asOf: new Date(asOf).toISOString(),
    customers: input.customers.map((c) =>
      assessCustomer(
        { customerId: c.customerId, events: c.events.map((e) => ({ channel: e.channel, type: e.type, at: Date.parse(e.at) })) },
        asOf,
        input.config,
      ),
    ),
  };
}

export const DEFAULT_FATIGUE_CONFIG: FatigueConfig = fatigueConfigSchema.parse({});

/**
 * The same assessment without schema validation, for the cycle's loop over every customer's
 * engagement events (already typed rows from the store; times as epoch milliseconds). Results are
 * identical to assessFatigue's for the same events.
 */
export function assessFatigueUnchecked(input: {
  asOf: number;
  customers: readonly { customerId: string; events: readonly TimedEngagementEvent[] }[];
  config?: FatigueConfig;
}): CustomerFatigue[] {
  const config = input.config ?? DEFAULT_FATIGUE_CONFIG;
  return input.customers.map((c) => assessCustomer(c, input.asOf, config));
}

export const fatigueToolDefinition = defineTool({
  name: "assess_fatigue",
  description:
    "Per customer and channel: fatigue (decayed exposures vs channel tolerance, unanswered streak, recent unsubscribes) and engagement " +
    "(decayed response rate) in [0, 1], channels to back off with reasons, and the base strategy (cooldown, reengage, targeted_promo) with its reason.",
  input: fatigueInputSchema,
  output: fatigueOutputSchema,
  fn: assessParsed,
});

/** Assesses fatigue and engagement; validates input and output. */
export function assessFatigue(input: FatigueInput): FatigueOutput {
  return fatigueToolDefinition.run(input);
}

export interface FatigueToolDeps {
  config?: FatigueConfigInput;
  /** With a loader and a clock, the agent passes only customer ids. */
  loadHistories?: (customerIds: string[]) => Promise<CustomerHistory[]>;
  clock?: Clock;
}

export function createFatigueTool(deps: FatigueToolDeps = {}): StructuredToolInterface {
  const { loadHistories, clock } = deps;
  if (loadHistories && clock) {
    const schema = z.object({ customerIds: z.array(customerIdField).min(1).max(1000) });
    return toLangChainTool(fatigueToolDefinition, {
      schema,
      adapt: async ({ customerIds }: z.infer<typeof schema>): Promise<FatigueInput> => ({
        asOf: clock.now().toISOString(),
        customers: await loadHistories(customerIds),
        config: deps.config ?? {},
      }),
    });
  }
  const schema = z.object({ asOf: instantField, customers: z.array(customerHistorySchema) });
  return toLangChainTool(fatigueToolDefinition, {
    schema,
    adapt: (args: z.infer<typeof schema>): FatigueInput => ({ ...args, config: deps.config ?? {} }),
  });
}
