import type { CustomerProfile } from "./customer-profile.js";
import { DAY_MS } from "./calendar.js";
import { SKUS_PER_CATEGORY, STYLES, styleOf } from "./catalog.js";
import type { Strategy } from "./strategies.js";

/**
 * The true response model: how a message changes a customer's purchase probability, how fatigue
 * builds and fades, and how engagement and unsubscribes react to it. Pure functions of the latent
 * profile; the engine applies them and ground-truth.ts reports them.
 */

/** Fatigue is an exponentially decaying count of exposures with this half-life. */
export const FATIGUE_HALF_LIFE_DAYS = 7;
/** Exposure weight of one message per channel (CHANNELS order): an SMS weighs more than an in-app card. */
export const EXPOSURE_WEIGHT = [1, 1.5, 0.8, 0.4] as const;
/** Decayed-exposure level reached by one message a week, sent forever: 1 / (1 - 2^(-1)) - 0.5 ≈ 1.44 at mid-week. */
const LEVEL_PER_WEEKLY_MESSAGE = 1.44;
/** Largest lift a discount can add to P(purchase within the response window), for a fully sensitive customer. */
export const MAX_DISCOUNT_LIFT = 0.18;

export function decayFatigue(level: number, fromMs: number, toMs: number): number {
  if (level === 0 || toMs <= fromMs) return level;
  return level * Math.pow(2, -(toMs - fromMs) / (FATIGUE_HALF_LIFE_DAYS * DAY_MS));
}

/** Fatigue relative to what the customer tolerates: 1 = at their limit. */
export function fatigueRatio(profile: CustomerProfile, level: number): number {
  return level / (LEVEL_PER_WEEKLY_MESSAGE * profile.tolerancePerWeek);
}

/**
 * Multiplier on a helpful message's lift: 1 when rested, 0 at the tolerance limit, negative beyond
 * (over-messaging annoys). Summed over a cadence this gives the inverted-U of profit against volume.
 */
export function fatigueLiftFactor(ratio: number): number {
  return Math.max(-0.5, 1 - ratio * ratio);
}

/** Multiplier on open and click probabilities. */
export function fatigueEngagementFactor(ratio: number): number {
  return Math.exp(-0.7 * ratio);
}

export function unsubscribeProbability(profile: CustomerProfile, channel: number, ratio: number): number {
  return Math.min(0.5, profile.unsubscribe[channel] * (1 + 3 * ratio * ratio));
}

/** Lift of a discount of `depth` before channel reach and fatigue: saturating, so a minimum effective depth exists. */
export function discountLift(profile: CustomerProfile, depth: number, active: boolean): number {
  if (depth <= 0) return 0;
  return profile.discountSensitivity * MAX_DISCOUNT_LIFT * (1 - Math.exp(-depth / profile.discountHalfDepth)) * (active ? 1 : 0.4);
}

/**
 * The additive change a message makes to P(at least one purchase within RESPONSE_WINDOW_DAYS of
 * sending), given the customer's activity state, fatigue ratio and baseline probability for that
 * window at send time. The engine turns it into a hazard multiplier over the window, clamping the
 * treated probability to [0, 0.995]; ground-truth.ts reports the clamped value.
 */
/**
 * How well a recommended product suits a customer, from 0.5 (neither their style nor their price) to
 * 1.5 (a style they favour at least twice the average, at their usual price). It scales a cross-sell's
 * fit, so a right recommendation is worth up to three times a wrong one; a message naming no product
 * keeps the fit it always had (1).
 */
export function productFit(profile: CustomerProfile, categoryIndex: number, skuIndex: number): number {
  const styleShare = Math.min(1, (profile.taste[styleOf(categoryIndex, skuIndex)] * STYLES) / 2);
  const distance = (skuIndex / (SKUS_PER_CATEGORY - 1) - profile.pricePos) / 0.2;
  return 0.5 + styleShare * Math.exp(-0.5 * distance * distance);
}

export function messageLift(
  profile: CustomerProfile,
  active: boolean,
  strategy: Strategy,
  channel: number,
  offerDepth: number,
  ratio: number,
  baseline: number,
  /** productFit of the product a cross-sell recommends; 1 when it names none. */
  product = 1,
): number {
  if (strategy === "cooldown" || strategy === "suppress") return 0;
  const reach = profile.reach[channel];
  if (profile.sleepingDog) {
    const harm = (profile.harm + profile.harmShare * baseline) * reach * (1 + ratio * ratio);
    return -Math.min(harm, 0.8 * baseline);
  }
  let strategyFit: number;
  switch (strategy) {
    case "targeted_promo":
      strategyFit = profile.persuadability * (active ? 1 : 0.3);
      break;
    case "reengage":
      strategyFit = profile.persuadability * profile.reengageFit * (active ? 1 : 0.7);
      break;
    case "winback":
      strategyFit = active ? profile.persuadability * 0.3 : profile.winbackLift;
      break;
    case "cross_sell":
      strategyFit = profile.persuadability * profile.crossSellFit * (active ? 1 : 0.2) * product;
      break;
  }
  return reach * (strategyFit + discountLift(profile, offerDepth, active)) * fatigueLiftFactor(ratio);
}
