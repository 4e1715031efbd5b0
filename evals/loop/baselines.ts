import type { Channel } from "../../ingest/formats.js";
import type { AudienceRow } from "../../store/loop-repo.js";

/**
 * What retailers do today, as pure rules over the audience their own data gives them (consent,
 * suppressions, RFM bands). The loop hands the decisions to the simulated world at a fixed local hour.
 */

export type BaselineStrategy = "targeted_promo" | "winback";

export interface BaselineDecision {
  customerId: string;
  channel: Channel;
  strategy: BaselineStrategy;
  offerDepth: number;
}

/** The retailer's default promotion: 10% off, the depth its weekly newsletter uses most after none. */
export const DEFAULT_PROMO_DEPTH = 0.1;
/** The RFM calendar's win-back offer. */
export const WINBACK_DEPTH = 0.15;
/** The local hour rule-based sends go out at (the historical newsletter's slot). */
export const BASELINE_SEND_HOUR = 10;
/** The one channel a calendar campaign uses per customer: email first, as retailers do. */
export const CHANNEL_PREFERENCE: readonly Channel[] = ["email", "sms", "push", "in_app"];

const BEST_BANDS = new Set(["Champions", "Loyal"]);
const LAPSING_BANDS = new Set(["At risk", "Cannot lose them", "Hibernating"]);

/** Mass messaging: every contactable customer gets the default promotion on every channel they consented to. */
export function blastDecisions(audience: readonly AudienceRow[]): BaselineDecision[] {
  const out: BaselineDecision[] = [];
  for (const a of audience)
    for (const channel of a.channels)
      out.push({ customerId: a.customerId, channel: channel as Channel, strategy: "targeted_promo", offerDepth: DEFAULT_PROMO_DEPTH });
  return out;
}

/** The first channel of CHANNEL_PREFERENCE the customer can be contacted on, if any. */
export function preferredChannel(channels: readonly string[]): Channel | null {
  return CHANNEL_PREFERENCE.find((c) => channels.includes(c)) ?? null;
}

/**
 * Whether a calendar that fires every `everyDays` fires in the cycle that covers
 * [cycle * cadenceDays, (cycle + 1) * cadenceDays) days from the start (it fires on day 0).
 */
export function calendarFires(cycle: number, cadenceDays: number, everyDays: number): boolean {
  if (!(cycle >= 0) || !(cadenceDays > 0) || !(everyDays > 0)) throw new RangeError("cycle must be >= 0, cadence and period > 0");
  const from = cycle * cadenceDays;
  const to = from + cadenceDays;
  // A firing at a multiple of everyDays inside [from, to).
  return Math.ceil(from / everyDays) * everyDays < to;
}

/** The RFM calendar's rules: which band gets what, how often. */
export const RFM_CALENDAR = {
  best: { everyDays: 28, strategy: "targeted_promo", offerDepth: 0 },
  lapsing: { everyDays: 14, strategy: "winback", offerDepth: WINBACK_DEPTH },
  rest: { everyDays: 7, strategy: "targeted_promo", offerDepth: DEFAULT_PROMO_DEPTH },
} as const satisfies Record<string, { everyDays: number; strategy: BaselineStrategy; offerDepth: number }>;

/** Which rule of RFM_CALENDAR applies to a band (never-bought customers get the weekly promo). */
export function rfmRuleOf(band: string | null): keyof typeof RFM_CALENDAR {
  if (band !== null && BEST_BANDS.has(band)) return "best";
  if (band !== null && LAPSING_BANDS.has(band)) return "lapsing";
  return "rest";
}

/**
 * Today's practice: static RFM bands on a fixed calendar. Champions and loyal customers hear from
 * the brand monthly without a discount, lapsing bands get a 15% win-back every fortnight, everyone
 * else the weekly 10% promo; one message per customer, on their preferred channel.
 */
export function rfmRulesDecisions(audience: readonly AudienceRow[], cycle: number, cadenceDays: number): BaselineDecision[] {
  const fires = Object.fromEntries(
    Object.entries(RFM_CALENDAR).map(([k, r]) => [k, calendarFires(cycle, cadenceDays, r.everyDays)]),
  ) as Record<keyof typeof RFM_CALENDAR, boolean>;
  const out: BaselineDecision[] = [];
  for (const a of audience) {
    const rule = rfmRuleOf(a.rfmBand);
    if (!fires[rule]) continue;
    const channel = preferredChannel(a.channels);
    if (!channel) continue;
    const r = RFM_CALENDAR[rule];
    out.push({ customerId: a.customerId, channel, strategy: r.strategy, offerDepth: r.offerDepth });
  }
  return out;
}
