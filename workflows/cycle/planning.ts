import type { SegmentSituation, StrategyOption } from "../../agents/strategist/index.js";
import { DAYPARTS, FEATURE_COUNT, FEATURE_NAMES } from "../../tools/features.js";
import type { ArchetypeName } from "../../tools/segment-naming.js";
import { OFFER_STRATEGIES, SENDING_STRATEGIES, type Channel, type SendingStrategy, type Strategy } from "../../core/domain.js";
import { DEFAULT_MESSAGE_COST, expectedContactValue, priorUpliftUnchecked, retainedMargin } from "../../tools/targeting.js";
import { briefStrategies } from "./brief.js";
import { channelEngagement, clvInputOf, featureIndex, hasConsent, maxEngagement, type CycleData } from "./cycle-data.js";
import type { CycleSettings } from "./settings.js";

/**
 * Pure helpers of the plan node: the per-customer inputs of the targeting tool, and the options
 * (strategy × channel × offer, with expected contacts, margin and cost) offered to the strategist.
 */
/** The strategies the tools price options for: those that send. */
export const CONTACT_STRATEGIES: readonly SendingStrategy[] = SENDING_STRATEGIES;
const OFFER_STRATEGY_SET = new Set<Strategy>(OFFER_STRATEGIES);

const F = {
  aov: featureIndex("aov"),
  margin: featureIndex("margin_rate"),
  discount: featureIndex("discount_share"),
  overdue: featureIndex("overdue_ratio"),
};

/** Predicts uplift for (customer, strategy, channel, offer): a learned model's level when one exists, else the prior. */
export type UpliftFn = (i: number, strategy: Strategy, channel: string, offerDepth: number) => number;

export function priorUpliftFn(data: CycleData): UpliftFn {
  return (i, strategy, channel, offerDepth) =>
    priorUpliftUnchecked({
      strategy,
      offerDepth,
      channelEngagement: clamp01(channelEngagement(data.fatigue, i, channel) ?? 0),
      discountShare: clamp01(data.features.values[i * FEATURE_COUNT + F.discount]!),
      overdueRatio: Math.max(0, data.features.values[i * FEATURE_COUNT + F.overdue]!),
      baselinePurchaseProbability: clamp01(data.baselinePurchase[i]!),
      fatigue: clamp01(data.fatigue.score[i]!),
    });
}

export function customerValue(data: CycleData, i: number, fallbackAov: number): { expectedOrderValue: number; marginRate: number } {
  const aov = data.features.values[i * FEATURE_COUNT + F.aov]!;
  const margin = data.features.values[i * FEATURE_COUNT + F.margin]!;
  return { expectedOrderValue: aov > 0 ? aov : fallbackAov, marginRate: clamp01(margin > 0 ? margin : 0.3) };
}

export function meanAov(data: CycleData, members: readonly number[]): number {
  let sum = 0;
  let n = 0;
  for (const i of members) {
    const a = data.features.values[i * FEATURE_COUNT + F.aov]!;
    if (a > 0) {
      sum += a;
      n++;
    }
  }
  return n ? sum / n : 50;
}

/** Each member's share of spend in a category (share_<category>), or null when the features have no share for it. */
export function categoryShares(data: CycleData, members: readonly number[], category: string | undefined): number[] | null {
  const name = `share_${(category ?? "").toLowerCase()}`;
  if (!category || !(FEATURE_NAMES as readonly string[]).includes(name)) return null;
  const f = featureIndex(name);
  return members.map((i) => data.features.values[i * FEATURE_COUNT + f]!);
}

/** How likely customer i is to engage with a message on the channel, so that a purchase they would make anyway uses its code. */
export function redemptionProbability(data: CycleData, i: number, channel: string): number {
  return clamp01(channelEngagement(data.fatigue, i, channel) ?? 0);
}

/** The weeks ahead the cycle's CLV is computed over (its expected purchases are for that horizon). */
const CLV_HORIZON_WEEKS = clvInputOf({ rfm: [] }).horizonWeeks ?? 52;

/** The margin after the window that an incremental purchase of customer i is worth (a lapsed customer revived). */
export function customerRetainedMargin(
  data: CycleData,
  i: number,
  value: { expectedOrderValue: number; marginRate: number },
  retentionHorizonWeeks: number,
): number {
  return retainedMargin({
    pAlive: data.clv.pAlive[i]!,
    expectedPurchases: data.clv.expectedPurchases[i]!,
    clvHorizonWeeks: CLV_HORIZON_WEEKS,
    retentionHorizonWeeks,
    ...value,
  });
}

/** The inputs planTargets takes for customer i (on `channel`, when one is known: who redeems the offer). */
export function targetingCustomer(
  data: CycleData,
  i: number,
  upliftValue: number,
  fallbackAov: number,
  retentionHorizonWeeks: number,
  channel?: string,
) {
  const value = customerValue(data, i, fallbackAov);
  // One object literal of one shape (no spreads): built for every member of every group.
  return {
    customerId: data.customerIds[i]!,
    predictedUplift: upliftValue,
    baselinePurchaseProbability: clamp01(data.baselinePurchase[i]!),
    expectedOrderValue: value.expectedOrderValue,
    marginRate: value.marginRate,
    retainedMargin: customerRetainedMargin(data, i, value, retentionHorizonWeeks),
    fatigueStrategy: data.fatigue.strategy[i]!,
    allowedChannels: data.fatigue.allowedChannels[i]!,
    redemptionProbability: channel ? redemptionProbability(data, i, channel) : undefined,
  };
}

export function segmentSituation(
  data: CycleData,
  segment: { segmentId: string; name: string; archetype?: ArchetypeName | null },
  members: readonly number[],
  settings: CycleSettings,
  uplift: UpliftFn,
): SegmentSituation {
  const fallbackAov = meanAov(data, members);
  let cooldown = 0;
  let engagement = 0;
  const dayparts = new Array<number>(DAYPARTS.length).fill(0);
  const dp0 = featureIndex("active_share_night");
  for (const i of members) {
    if (data.fatigue.strategy[i] === "cooldown") cooldown++;
    engagement += maxEngagement(data.fatigue, i);
    for (let d = 0; d < DAYPARTS.length; d++) dayparts[d] += data.features.values[i * FEATURE_COUNT + dp0 + d]!;
  }
  // What targeting needs per member that no option changes, computed once per segment rather than
  // once per member and option (tens of options × every member of the segment).
  const reach = members.map((i) => targetingCustomer(data, i, 0, fallbackAov, settings.retentionHorizonWeeks));
  const options: StrategyOption[] = [];
  for (const strategy of briefStrategies(settings.brief, CONTACT_STRATEGIES)) {
    const offers = OFFER_STRATEGY_SET.has(strategy) ? settings.offerDepths.filter((d) => d <= settings.maxDiscount) : [0];
    for (const channel of settings.channels) {
      for (const offerDepth of offers) {
        let contacts = 0;
        let margin = 0;
        let cost = 0;
        members.forEach((i, k) => {
          const c = reach[k]!;
          // Only customers the channel can lawfully reach count towards an option.
          if (
            c.fatigueStrategy === "cooldown" ||
            !c.allowedChannels.includes(channel as (typeof c.allowedChannels)[number]) ||
            !hasConsent(data, i, channel)
          )
            return;
          const u = uplift(i, strategy, channel, offerDepth);
          if (u < 0) return;
          c.predictedUplift = u;
          c.redemptionProbability = redemptionProbability(data, i, channel);
          const ev = expectedContactValue(c, offerDepth, DEFAULT_MESSAGE_COST[channel]);
          if (ev.value <= 0) return;
          contacts++;
          margin += ev.incrementalMargin;
          cost += ev.cost;
        });
        options.push({
          optionId: `${strategy}.${channel}.${Math.round(offerDepth * 100)}`,
          strategy,
          channel,
          offerDepth,
          contacts,
          expectedIncrementalMargin: round2(margin),
          expectedCost: round2(cost),
        });
      }
    }
  }
  const best = dayparts.indexOf(Math.max(...dayparts));
  return {
    segmentId: segment.segmentId,
    name: segment.name,
    archetype: segment.archetype ?? null,
    size: members.length,
    cooldownShare: members.length ? cooldown / members.length : 0,
    meanEngagement: members.length ? engagement / members.length : 0,
    dominantDaypart: DAYPARTS[best] ?? "morning",
    options,
  };
}

const hourFormat = new Map<string, Intl.DateTimeFormat>();
function localHour(t: number, tz: string): number {
  let f = hourFormat.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", { timeZone: tz, hour: "numeric", hourCycle: "h23" });
    hourFormat.set(tz, f);
  }
  return Number(f.format(t));
}

// Every contact of a campaign in a time zone gets the same answer: memoized (planning asks for each
// of tens of thousands of contacts, and each answer formats up to 49 instants).
const nextLocalHours = new Map<string, number>();

/** The first whole hour at or after `from` that is `hour` o'clock in the customer's time zone. */
export function nextLocalHour(from: Date, tz: string, hour: number): Date {
  const key = `${from.getTime()}|${tz}|${hour}`;
  let t = nextLocalHours.get(key);
  if (t === undefined) {
    t = findNextLocalHour(from, tz, hour);
    if (nextLocalHours.size >= 10_000) nextLocalHours.clear();
    nextLocalHours.set(key, t);
  }
  return new Date(t);
}

function findNextLocalHour(from: Date, tz: string, hour: number): number {
  const start = Math.ceil(from.getTime() / 3_600_000) * 3_600_000;
  for (let h = 0; h < 49; h++) {
    const t = start + h * 3_600_000;
    if (localHour(t, tz) === hour) return t;
  }
  return start;
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}
function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
