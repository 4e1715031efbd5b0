import { z } from "zod";

/** Latent customer archetypes of the simulated retailer (DOMAIN.md, "Segments"). */
export const ARCHETYPES = [
  "premium_loyalist",
  "dormant_loyalist",
  "coupon_floater",
  "high_margin_infrequent",
  "churn_prone_spender",
  "new_customer",
  "hibernating",
] as const;
export type Archetype = (typeof ARCHETYPES)[number];

export const ARCHETYPE_LABELS: Record<Archetype, string> = {
  premium_loyalist: "Premium Loyalists",
  dormant_loyalist: "Dormant Loyalists",
  coupon_floater: "Coupon-Driven Floaters",
  high_margin_infrequent: "High-Margin Infrequent",
  churn_prone_spender: "Churn-Prone Spenders",
  new_customer: "New Customers",
  hibernating: "Hibernating",
};

export const DEFAULT_ARCHETYPE_MIX: Readonly<Record<Archetype, number>> = {
  premium_loyalist: 0.1,
  dormant_loyalist: 0.12,
  coupon_floater: 0.2,
  high_margin_infrequent: 0.1,
  churn_prone_spender: 0.15,
  new_customer: 0.13,
  hibernating: 0.2,
};

export const archetypeMixSchema = z
  .partialRecord(z.enum(ARCHETYPES), z.number().min(0).max(1000))
  .refine((mix) => Object.values(mix).some((w) => (w ?? 0) > 0), "at least one archetype needs a positive weight");
export type ArchetypeMix = Partial<Record<Archetype, number>>;

/**
 * Proportions that sum to 1. Archetypes named in `mix` take their given weights; when the given
 * weights sum to less than 1, the rest is shared among the unnamed ones in the default proportions.
 */
export function normalizeMix(mix?: ArchetypeMix): Record<Archetype, number> {
  const given = mix ?? {};
  const named = ARCHETYPES.filter((a) => given[a] !== undefined);
  const namedTotal = named.reduce((s, a) => s + (given[a] ?? 0), 0);
  const unnamed = ARCHETYPES.filter((a) => given[a] === undefined);
  const rest = Math.max(0, 1 - namedTotal);
  const unnamedDefault = unnamed.reduce((s, a) => s + DEFAULT_ARCHETYPE_MIX[a], 0);
  const raw = {} as Record<Archetype, number>;
  for (const a of ARCHETYPES) {
    raw[a] = given[a] !== undefined ? (given[a] ?? 0) : unnamedDefault > 0 ? (rest * DEFAULT_ARCHETYPE_MIX[a]) / unnamedDefault : 0;
  }
  const total = ARCHETYPES.reduce((s, a) => s + raw[a], 0);
  for (const a of ARCHETYPES) raw[a] = Math.round((raw[a] / total) * 1e6) / 1e6;
  return raw;
}

/** Per-channel means, in CHANNELS order (email, sms, push, in_app). */
type PerChannel = readonly [number, number, number, number];

/**
 * The population-level parameters of one archetype. Each customer draws their own values around
 * these with individual noise (see customer-profile.ts).
 */
export interface ArchetypeSpec {
  /** Purchases per week while active (gamma mean) and the gamma shape of the spread. */
  rate: number;
  rateShape: number;
  /** Purchases per week while lapsed (a lapsed customer can still come back). */
  lapsedRate: number;
  /** BG/NBD-style chance of becoming inactive after each purchase. */
  dropout: number;
  /** Chance of being active at the start of history. */
  activeAtStart: number;
  /** Days over which the purchase rate decays (e-folding); Infinity = no decay. */
  decayDays: number;
  /** Dormant Loyalists: history fraction range in which they stop buying. */
  stopWindow?: readonly [number, number];
  /** Signup: `existing` = before history start, or `recent` = inside the last quarter of history. */
  signup: "existing" | "recent";
  /**
   * Existing customers: days before history start they signed up (uniform range). Loyalists and the
   * hibernating base are long-standing; promo-driven and churn-prone shoppers were acquired more
   * recently (early tenure is when most churn happens).
   */
  signupDaysBefore: readonly [number, number];
  /** Mean order lines per order. */
  lines: number;
  /** Position in the price range of a category, 0 = cheapest, 1 = dearest. */
  pricePos: number;
  /** Multiplier on category margin rates (what they pick within a category). */
  marginMult: number;
  returnRate: number;
  /** 0..1: how much discounts move them. */
  discountSensitivity: number;
  /**
   * Chance that an order placed without a message offer still carries a site or in-store promotion
   * (a coupon code, a promo-day price), and that promotion's depth: what makes a shopper's own
   * purchases look promo-driven in the order history, independent of the response to messages.
   */
  promoUse: number;
  promoDepth: number;
  /** Offer depth at which ~63% of the discount response is reached. */
  discountHalfDepth: number;
  /** Lift in P(purchase within the response window) from a plain relevant message. */
  persuadability: number;
  reengageFit: number;
  crossSellFit: number;
  /** Absolute lift of a winback message on a lapsed customer. */
  winbackLift: number;
  /** Share of customers whom contact harms ("sleeping dogs"). */
  sleepingDogShare: number;
  /** Messages per week tolerated before fatigue erases the response. */
  tolerancePerWeek: number;
  unsubMult: number;
  open: PerChannel;
  /** Click given open (for SMS: click given delivery). */
  click: PerChannel;
  appUser: number;
  /** Chance of granting marketing consent at signup, per channel (push/in_app only for app users). */
  consent: PerChannel;
  /** Browsing sessions per week while active. */
  browse: number;
  /** Share of orders in store / web / app (app share goes to web for non app users). */
  orderChannels: readonly [number, number, number];
  /** Weights of loyalty tiers none, bronze, silver, gold, platinum. */
  tiers: readonly [number, number, number, number, number];
  /** Weights of age bands 18-24, 25-34, 35-44, 45-54, 55-64, 65+. */
  ages: readonly [number, number, number, number, number, number];
}

export const ARCHETYPE_SPECS: Record<Archetype, ArchetypeSpec> = {
  premium_loyalist: {
    rate: 0.45,
    rateShape: 10,
    lapsedRate: 0.02,
    dropout: 0.003,
    activeAtStart: 0.99,
    decayDays: Infinity,
    signup: "existing",
    signupDaysBefore: [1000, 1800],
    lines: 2.6,
    pricePos: 0.72,
    marginMult: 1.1,
    returnRate: 0.05,
    discountSensitivity: 0.08,
    discountHalfDepth: 0.2,
    promoUse: 0.03,
    promoDepth: 0.1,
    persuadability: 0.012,
    reengageFit: 0.5,
    crossSellFit: 1.6,
    winbackLift: 0.05,
    sleepingDogShare: 0.08,
    tolerancePerWeek: 5,
    unsubMult: 0.7,
    open: [0.34, 0, 0.2, 0.55],
    click: [0.2, 0.12, 0.3, 0.18],
    appUser: 0.65,
    consent: [0.9, 0.55, 0.7, 0.85],
    browse: 1,
    orderChannels: [0.35, 0.35, 0.3],
    tiers: [0.02, 0.03, 0.15, 0.4, 0.4],
    ages: [0.04, 0.16, 0.28, 0.28, 0.16, 0.08],
  },
  dormant_loyalist: {
    rate: 0.35,
    rateShape: 8,
    lapsedRate: 0.0005,
    dropout: 0.004,
    activeAtStart: 0.98,
    decayDays: Infinity,
    stopWindow: [0.4, 0.46],
    signup: "existing",
    signupDaysBefore: [1000, 1800],
    lines: 2.3,
    pricePos: 0.6,
    marginMult: 1,
    returnRate: 0.05,
    discountSensitivity: 0.35,
    discountHalfDepth: 0.12,
    promoUse: 0.1,
    promoDepth: 0.1,
    persuadability: 0.02,
    reengageFit: 1.2,
    crossSellFit: 0.8,
    winbackLift: 0.08,
    sleepingDogShare: 0.04,
    tolerancePerWeek: 3.5,
    unsubMult: 1,
    open: [0.22, 0, 0.12, 0.4],
    click: [0.16, 0.09, 0.25, 0.14],
    appUser: 0.5,
    consent: [0.88, 0.45, 0.6, 0.8],
    browse: 0.3,
    orderChannels: [0.45, 0.35, 0.2],
    tiers: [0.05, 0.15, 0.35, 0.35, 0.1],
    ages: [0.04, 0.14, 0.24, 0.26, 0.2, 0.12],
  },
  coupon_floater: {
    rate: 0.09,
    rateShape: 5,
    lapsedRate: 0.008,
    dropout: 0.02,
    activeAtStart: 0.92,
    decayDays: Infinity,
    signup: "existing",
    signupDaysBefore: [30, 500],
    lines: 1.7,
    pricePos: 0.25,
    marginMult: 0.85,
    returnRate: 0.09,
    discountSensitivity: 0.9,
    discountHalfDepth: 0.08,
    promoUse: 0.85,
    promoDepth: 0.2,
    persuadability: 0.015,
    reengageFit: 0.8,
    crossSellFit: 0.5,
    winbackLift: 0.05,
    sleepingDogShare: 0.03,
    tolerancePerWeek: 4.5,
    unsubMult: 0.8,
    open: [0.27, 0, 0.15, 0.45],
    click: [0.22, 0.13, 0.3, 0.16],
    appUser: 0.55,
    consent: [0.9, 0.6, 0.7, 0.8],
    browse: 0.6,
    orderChannels: [0.25, 0.45, 0.3],
    tiers: [0.45, 0.35, 0.15, 0.05, 0],
    ages: [0.22, 0.3, 0.22, 0.14, 0.08, 0.04],
  },
  high_margin_infrequent: {
    rate: 0.08,
    rateShape: 10,
    lapsedRate: 0.008,
    dropout: 0.004,
    activeAtStart: 0.96,
    decayDays: Infinity,
    signup: "existing",
    signupDaysBefore: [200, 1800],
    lines: 1.5,
    pricePos: 0.9,
    marginMult: 1.4,
    returnRate: 0.04,
    discountSensitivity: 0.12,
    discountHalfDepth: 0.2,
    promoUse: 0.02,
    promoDepth: 0.1,
    persuadability: 0.01,
    reengageFit: 0.5,
    crossSellFit: 1,
    winbackLift: 0.03,
    sleepingDogShare: 0.35,
    tolerancePerWeek: 1.5,
    unsubMult: 1.3,
    open: [0.16, 0, 0.1, 0.35],
    click: [0.14, 0.06, 0.2, 0.12],
    appUser: 0.35,
    consent: [0.85, 0.35, 0.5, 0.75],
    browse: 0.3,
    orderChannels: [0.5, 0.4, 0.1],
    tiers: [0.25, 0.2, 0.3, 0.2, 0.05],
    ages: [0.02, 0.1, 0.22, 0.3, 0.22, 0.14],
  },
  churn_prone_spender: {
    rate: 0.55,
    rateShape: 8,
    lapsedRate: 0.006,
    dropout: 0.035,
    activeAtStart: 0.99,
    decayDays: 160,
    signup: "existing",
    signupDaysBefore: [365, 900],
    lines: 3,
    pricePos: 0.55,
    marginMult: 0.9,
    returnRate: 0.07,
    discountSensitivity: 0.45,
    discountHalfDepth: 0.12,
    promoUse: 0.5,
    promoDepth: 0.15,
    persuadability: 0.03,
    reengageFit: 1.6,
    crossSellFit: 0.6,
    winbackLift: 0.06,
    sleepingDogShare: 0.05,
    tolerancePerWeek: 3,
    unsubMult: 1.2,
    open: [0.2, 0, 0.12, 0.38],
    click: [0.16, 0.08, 0.25, 0.14],
    appUser: 0.5,
    consent: [0.88, 0.5, 0.65, 0.8],
    browse: 0.6,
    orderChannels: [0.35, 0.4, 0.25],
    tiers: [0.15, 0.25, 0.3, 0.25, 0.05],
    ages: [0.12, 0.24, 0.24, 0.2, 0.12, 0.08],
  },
  new_customer: {
    rate: 0.16,
    rateShape: 5,
    lapsedRate: 0.01,
    dropout: 0.07,
    activeAtStart: 1,
    decayDays: Infinity,
    signup: "recent",
    signupDaysBefore: [0, 0],
    lines: 1.9,
    pricePos: 0.5,
    marginMult: 1,
    returnRate: 0.08,
    discountSensitivity: 0.5,
    discountHalfDepth: 0.12,
    promoUse: 0.25,
    promoDepth: 0.1,
    persuadability: 0.04,
    reengageFit: 0.8,
    crossSellFit: 1.5,
    winbackLift: 0.04,
    sleepingDogShare: 0.04,
    tolerancePerWeek: 3.5,
    unsubMult: 1.3,
    open: [0.32, 0, 0.18, 0.5],
    click: [0.2, 0.1, 0.3, 0.16],
    appUser: 0.6,
    consent: [0.92, 0.5, 0.7, 0.85],
    browse: 1,
    orderChannels: [0.25, 0.45, 0.3],
    tiers: [0.7, 0.3, 0, 0, 0],
    ages: [0.18, 0.28, 0.22, 0.16, 0.1, 0.06],
  },
  hibernating: {
    rate: 0.03,
    rateShape: 4,
    lapsedRate: 0.002,
    dropout: 0.1,
    activeAtStart: 0.08,
    decayDays: Infinity,
    signup: "existing",
    signupDaysBefore: [400, 1800],
    lines: 1.6,
    pricePos: 0.3,
    marginMult: 0.95,
    returnRate: 0.07,
    discountSensitivity: 0.3,
    discountHalfDepth: 0.15,
    promoUse: 0.12,
    promoDepth: 0.1,
    persuadability: 0.006,
    reengageFit: 1.2,
    crossSellFit: 0.4,
    winbackLift: 0.025,
    sleepingDogShare: 0.2,
    tolerancePerWeek: 1.5,
    unsubMult: 1.3,
    open: [0.08, 0, 0.05, 0.2],
    click: [0.1, 0.04, 0.15, 0.08],
    appUser: 0.3,
    consent: [0.8, 0.35, 0.5, 0.7],
    browse: 0.1,
    orderChannels: [0.45, 0.45, 0.1],
    tiers: [0.6, 0.25, 0.1, 0.05, 0],
    ages: [0.1, 0.18, 0.2, 0.2, 0.18, 0.14],
  },
};
