import { CHANNELS, LOYALTY_TIERS } from "../ingest/formats.js";
import { ARCHETYPE_SPECS, ARCHETYPES, type Archetype } from "./archetypes.js";
import { DAY_MS, REGIONS, TIMEZONES } from "./calendar.js";
import { cumulative, Rng } from "./rng.js";
import { drawTaste } from "./taste.js";

/** Stream tags keep a customer's independent random streams apart. */
export const STREAM = { archetype: 1, profile: 2, history: 3, audience: 4, step: 5, taste: 6 } as const;

export const AGE_BANDS = ["18-24", "25-34", "35-44", "45-54", "55-64", "65+"] as const;
const FIRST_NAMES = [
  "Alex",
  "Sam",
  "Jordan",
  "Taylor",
  "Morgan",
  "Casey",
  "Riley",
  "Jamie",
  "Avery",
  "Quinn",
  "Maria",
  "James",
  "Anna",
  "David",
  "Sofia",
  "Liam",
  "Emma",
  "Noah",
  "Olivia",
  "Lucas",
  "Mia",
  "Ethan",
  "Hannah",
  "Ben",
  "Chloe",
  "Leon",
  "Grace",
  "Omar",
  "Priya",
  "Chen",
  "Fatima",
  "Jonas",
  "Lea",
  "Mateo",
  "Aisha",
  "Tom",
  "Zoe",
  "Felix",
  "Ines",
  "Kai",
] as const;
const TIMEZONE_WEIGHTS = [0.3, 0.2, 0.2, 0.17, 0.13];

/** Category preference tilts per archetype, in CATEGORIES order. */
const CATEGORY_TILT: Record<Archetype, readonly number[]> = {
  premium_loyalist: [1.6, 1.5, 0.8, 1, 1.4, 1, 0.6, 0.8],
  dormant_loyalist: [1.2, 1, 0.8, 1.5, 1.2, 0.9, 0.8, 0.9],
  coupon_floater: [1.4, 1, 0.7, 1.8, 0.9, 0.8, 1.3, 0.7],
  high_margin_infrequent: [1.8, 1.6, 0.4, 0.2, 1.6, 1, 0.5, 0.6],
  churn_prone_spender: [1.2, 1.1, 1.1, 1.2, 1, 1, 0.9, 0.8],
  new_customer: [1.2, 1, 1, 1, 1, 1, 1, 1],
  hibernating: [1, 0.8, 1, 1.2, 1, 0.9, 1, 1.2],
};

/**
 * Individual dispersion around the archetype means (lognormal sigmas; pricePos is an additive normal
 * sd). Tight enough that an archetype keeps its observable signature (DOMAIN.md: cadence, basket,
 * promo use, margin mix, engagement), loose enough that no two customers are alike.
 */
const NOISE = {
  engagement: 0.2,
  open: 0.15,
  click: 0.25,
  dropout: 0.2,
  decay: 0.15,
  lines: 0.1,
  pricePos: 0.06,
  marginMult: 0.05,
  discountSensitivity: 0.15,
  promoUse: 0.15,
  browse: 0.25,
} as const;
/** Dirichlet concentration per unit of category tilt: higher = category mixes closer to the archetype's. */
const CATEGORY_CONCENTRATION = 1.5;

/** Reference engagement (open x click) per channel; a customer's reach is theirs relative to it. */
const REFERENCE_ENGAGEMENT = [0.045, 0.1, 0.042, 0.0675];
const BASE_UNSUBSCRIBE = [0.0015, 0.004, 0.003, 0.0003];

/**
 * The latent truth about one simulated customer: drawn once from the archetype with individual noise,
 * never written to ingestion files. Rates are per week; instants are epoch ms.
 */
export interface CustomerProfile {
  index: number;
  customerId: string;
  archetype: Archetype;
  signupAt: number;
  firstName: string;
  tzIndex: number;
  timezone: string;
  region: string;
  ageBand: string;
  loyaltyTier: (typeof LOYALTY_TIERS)[number];
  hasEmail: boolean;
  hasPhone: boolean;
  appUser: boolean;
  /** Purchases per week while active (before decay and seasonality). */
  ratePerWeek: number;
  lapsedRatePerWeek: number;
  /** Chance of becoming inactive after each purchase. */
  dropoutProb: number;
  /** E-folding days of a slipping purchase cadence and shrinking baskets (Infinity = none). */
  decayDays: number;
  decayFrom: number;
  /** Dormant Loyalists stop buying at this instant (midnight UTC), unless won back. */
  stopAt: number;
  activeAtStart: boolean;
  linesMean: number;
  pricePos: number;
  marginMult: number;
  returnRate: number;
  cancelRate: number;
  /** Category shares in CATEGORIES order and their cumulative sums. */
  categoryAffinity: number[];
  categoryCum: number[];
  /** Preference over the catalog's latent styles (sums to 1), its cumulative sums, and the share of picks it steers. */
  taste: number[];
  tasteCum: number[];
  tasteStrength: number;
  /** Key of the customer's taste draws (hashed with a per-pick counter, apart from every other stream). */
  tasteKey: number;
  /** 0..1: how strongly discounts move this customer. */
  discountSensitivity: number;
  discountHalfDepth: number;
  /** Chance an order without a message offer carries a site / in-store promotion, and its depth. */
  promoUse: number;
  promoDepth: number;
  persuadability: number;
  reengageFit: number;
  crossSellFit: number;
  winbackLift: number;
  /** Contact lowers this customer's purchase probability and raises their unsubscribe rate. */
  sleepingDog: boolean;
  /**
   * Harm contact does to a sleeping dog, before channel reach and fatigue: the purchase probability
   * in the window falls by harm + harmShare * baseline (at most 80% of the baseline).
   */
  harm: number;
  harmShare: number;
  /** Messages per week this customer tolerates; fatigue sensitivity is its inverse. */
  tolerancePerWeek: number;
  /** Per channel (CHANNELS order): open, click (given open; SMS: given delivery), bounce, unsubscribe base, reach. */
  open: number[];
  click: number[];
  bounce: number[];
  unsubscribe: number[];
  reach: number[];
  /** Local-hour weights (0-23) of activity, and their cumulative sums. */
  activeHours: number[];
  activeHoursCum: number[];
  /** Order channel weights store / web / app, cumulative. */
  orderChannelCum: number[];
  browsePerWeek: number;
  /** Marketing consent per channel: granted at (NaN = never), source, preference-centre revocation (Infinity = none). */
  consentGrantedAt: number[];
  consentSource: string[];
  preferenceRevokeAt: number[];
}

export interface ProfileContext {
  seed: number;
  historyStart: number;
  historyEnd: number;
  idWidth: number;
  mixCumulative: number[];
}

export function customerIdOf(index: number, idWidth: number): string {
  return `C${String(index + 1).padStart(idWidth, "0")}`;
}

export function archetypeFor(ctx: ProfileContext, index: number): Archetype {
  return ARCHETYPES[new Rng(ctx.seed, index, STREAM.archetype).pickCumulative(ctx.mixCumulative)];
}

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

export function drawProfile(ctx: ProfileContext, index: number): CustomerProfile {
  const archetype = archetypeFor(ctx, index);
  const spec = ARCHETYPE_SPECS[archetype];
  const r = new Rng(ctx.seed, index, STREAM.profile);
  const historyDays = (ctx.historyEnd - ctx.historyStart) / DAY_MS;

  const signupAt =
    spec.signup === "recent"
      ? ctx.historyEnd - Math.round(r.uniform(5, Math.max(6, historyDays * 0.25)) * DAY_MS + r.uniform(0, DAY_MS))
      : ctx.historyStart - Math.round(r.uniform(spec.signupDaysBefore[0], spec.signupDaysBefore[1]) * DAY_MS + r.uniform(0, DAY_MS));
  const signup = Math.floor(signupAt / 1000) * 1000;

  const tzIndex = r.pickCumulative(cumulative(TIMEZONE_WEIGHTS));
  const appUser = r.chance(spec.appUser);
  const hasEmail = r.chance(0.97);
  const hasPhone = r.chance(0.65);

  // Active hours: a midday and an evening peak in local time, with a floor.
  const peak1 = r.uniform(10.5, 14);
  const peak2 = r.uniform(18, 22);
  const w1 = r.uniform(0.25, 0.65);
  const activeHours: number[] = [];
  for (let h = 0; h < 24; h++) {
    const night = h < 6 ? 0.15 : 1;
    const v = 0.02 + w1 * Math.exp(-((h - peak1) ** 2) / 3) + (1 - w1) * Math.exp(-((h - peak2) ** 2) / 3);
    activeHours.push(v * night);
  }
  const hoursTotal = activeHours.reduce((s, x) => s + x, 0);
  for (let h = 0; h < 24; h++) activeHours[h] /= hoursTotal;

  const categoryAffinity = r.dirichlet(CATEGORY_TILT[archetype].map((t) => CATEGORY_CONCENTRATION * t));
  const sleepingDog = r.chance(spec.sleepingDogShare);

  const open: number[] = [];
  const click: number[] = [];
  const bounce: number[] = [];
  const unsubscribe: number[] = [];
  const reach: number[] = [];
  const engagementNoise = r.lognormal(1, NOISE.engagement);
  const badEmail = r.chance(0.015);
  for (let c = 0; c < CHANNELS.length; c++) {
    const o = CHANNELS[c] === "sms" ? 0 : clamp(spec.open[c] * engagementNoise * r.lognormal(1, NOISE.open), 0.005, 0.95);
    const k = clamp(spec.click[c] * r.lognormal(1, NOISE.click), 0.005, 0.9);
    open.push(o);
    click.push(k);
    const engagement = CHANNELS[c] === "sms" ? k : o * k;
    reach.push(clamp(Math.sqrt(engagement / REFERENCE_ENGAGEMENT[c]), 0.3, 2));
    bounce.push(CHANNELS[c] === "email" ? (badEmail ? 1 : 0.004) : CHANNELS[c] === "sms" ? 0.006 : CHANNELS[c] === "push" ? 0.02 : 0);
    unsubscribe.push(BASE_UNSUBSCRIBE[c] * spec.unsubMult * (sleepingDog ? 3 : 1) * r.lognormal(1, 0.3));
  }

  // Consent: granted at signup per channel (if reachable there), some later opt-ins and revocations.
  const reachable = [hasEmail, hasPhone, appUser, appUser];
  const consentGrantedAt: number[] = [];
  const consentSource: string[] = [];
  const preferenceRevokeAt: number[] = [];
  const laterFrom = Math.max(signup, ctx.historyStart);
  for (let c = 0; c < CHANNELS.length; c++) {
    let granted = Number.NaN;
    let source = "";
    if (reachable[c] && r.chance(spec.consent[c])) {
      granted = signup;
      source = "signup";
    } else if (reachable[c] && r.chance(0.1) && laterFrom < ctx.historyEnd) {
      granted = Math.floor(r.uniform(laterFrom, ctx.historyEnd) / 1000) * 1000;
      source = CHANNELS[c] === "sms" ? "checkout" : "preference_center";
    }
    let revoke = Number.POSITIVE_INFINITY;
    if (!Number.isNaN(granted) && r.chance(0.04)) {
      const from = Math.max(granted, ctx.historyStart);
      if (from < ctx.historyEnd) revoke = Math.floor(r.uniform(from, ctx.historyEnd) / 1000) * 1000 + 1000;
    }
    consentGrantedAt.push(granted);
    consentSource.push(source);
    preferenceRevokeAt.push(revoke);
  }

  const stopAt = spec.stopWindow
    ? ctx.historyStart + Math.round(r.uniform(spec.stopWindow[0], spec.stopWindow[1]) * historyDays) * DAY_MS
    : Number.POSITIVE_INFINITY;

  const orderWeights = [
    spec.orderChannels[0],
    spec.orderChannels[1] + (appUser ? 0 : spec.orderChannels[2]),
    appUser ? spec.orderChannels[2] : 0,
  ];

  return {
    index,
    customerId: customerIdOf(index, ctx.idWidth),
    archetype,
    signupAt: signup,
    firstName: FIRST_NAMES[r.int(FIRST_NAMES.length)],
    tzIndex,
    timezone: TIMEZONES[tzIndex],
    region: REGIONS[TIMEZONES[tzIndex]],
    ageBand: AGE_BANDS[r.pickCumulative(cumulative(spec.ages))],
    loyaltyTier: LOYALTY_TIERS[r.pickCumulative(cumulative(spec.tiers))],
    hasEmail,
    hasPhone,
    appUser,
    ratePerWeek: r.gamma(spec.rateShape, spec.rate / spec.rateShape),
    lapsedRatePerWeek: spec.lapsedRate * r.lognormal(1, 0.4),
    dropoutProb: clamp(spec.dropout * r.lognormal(1, NOISE.dropout), 0, 0.5),
    decayDays: Number.isFinite(spec.decayDays) ? spec.decayDays * r.lognormal(1, NOISE.decay) : Number.POSITIVE_INFINITY,
    decayFrom: ctx.historyStart,
    stopAt,
    activeAtStart: r.chance(spec.activeAtStart),
    linesMean: Math.max(1, spec.lines * r.lognormal(1, NOISE.lines)),
    pricePos: clamp(spec.pricePos + NOISE.pricePos * r.normal(), 0, 1),
    marginMult: spec.marginMult * r.lognormal(1, NOISE.marginMult),
    returnRate: clamp(spec.returnRate * r.lognormal(1, 0.4), 0, 0.5),
    cancelRate: 0.015,
    categoryAffinity,
    categoryCum: cumulative(categoryAffinity),
    ...drawTaste(new Rng(ctx.seed, index, STREAM.taste)),
    discountSensitivity: clamp(spec.discountSensitivity * r.lognormal(1, NOISE.discountSensitivity), 0, 1),
    discountHalfDepth: spec.discountHalfDepth * r.lognormal(1, 0.2),
    promoUse: clamp(spec.promoUse * r.lognormal(1, NOISE.promoUse), 0, 0.97),
    promoDepth: spec.promoDepth,
    persuadability: spec.persuadability * r.lognormal(1, 0.5),
    reengageFit: spec.reengageFit * r.lognormal(1, 0.2),
    crossSellFit: spec.crossSellFit * r.lognormal(1, 0.2),
    winbackLift: spec.winbackLift * r.lognormal(1, 0.35),
    sleepingDog,
    harm: r.uniform(0.005, 0.015),
    harmShare: r.uniform(0.15, 0.35),
    tolerancePerWeek: spec.tolerancePerWeek * r.lognormal(1, 0.35),
    open,
    click,
    bounce,
    unsubscribe,
    reach,
    activeHours,
    activeHoursCum: cumulative(activeHours),
    orderChannelCum: cumulative(orderWeights),
    browsePerWeek: spec.browse * r.lognormal(1, NOISE.browse),
    consentGrantedAt,
    consentSource,
    preferenceRevokeAt,
  };
}
