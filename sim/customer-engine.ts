import { CHANNELS, ORDER_CHANNELS, type EventRow, type ResponseRow } from "../ingest/formats.js";
import { CATALOG, SKUS_PER_CATEGORY, skuPosition, type Sku } from "./catalog.js";
import { DAY_MS, MINUTE_MS, SEASONALITY_MAX, SECOND_MS, dayNumber, seasonality, utcOffsetMinutes } from "./calendar.js";
import type { CustomerProfile } from "./customer-profile.js";
import type { Rng } from "./rng.js";
import { followTaste } from "./taste.js";
import type { SimSink } from "./sink.js";
import { RESPONSE_WINDOW_DAYS, isSendingStrategy, type Strategy } from "./strategies.js";
import {
  EXPOSURE_WEIGHT,
  decayFatigue,
  fatigueEngagementFactor,
  fatigueRatio,
  messageLift,
  productFit,
  unsubscribeProbability,
} from "./treatment-effect.js";

/**
 * The per-customer simulation: a purchase hazard that is piecewise constant per UTC day (times
 * seasonality, times the multipliers of open message windows), BG/NBD-like dropout after each
 * purchase, browsing, and message delivery with engagement, fatigue, unsubscribes and conversions.
 * History and World.step both run through advanceCustomer, so they share one truth.
 */

export const WINDOW_MS = RESPONSE_WINDOW_DAYS * DAY_MS;
/** Treated purchase probability is capped here so the hazard multiplier stays finite. */
export const MAX_WINDOW_PROBABILITY = 0.995;

export interface EngineMessage {
  messageId: string;
  campaignId: string;
  /** Index into CHANNELS. */
  channel: number;
  strategy: Strategy;
  offerDepth: number;
  sentAt: number;
  /** Historical audience rule: send only when the last purchase is at least this many days old. */
  onlyIfLapsedDays?: number;
  /** The product the message recommends (cross-sell); its fit with the customer's taste scales the effect. */
  productSku?: string;
}

export type RejectReason = "not_signed_up" | "no_send" | "no_consent" | "not_in_audience";

interface MessageWindow {
  messageId: string;
  campaignId: string;
  channel: number;
  offerDepth: number;
  sentAt: number;
  endAt: number;
  /** Hazard multiplier over [sentAt, endAt). */
  mult: number;
  /** When the customer opened (clicked, for SMS); Infinity if never. */
  engagedAt: number;
  converted: boolean;
}

const PENDING_RESPONSE = 0;
const PENDING_CONSENT = 1;
interface PendingRow {
  kind: typeof PENDING_RESPONSE | typeof PENDING_CONSENT;
  at: number;
  messageId: string;
  campaignId: string;
  channel: number;
  type: ResponseRow["type"];
}

/** Everything about a customer that changes as time passes. */
export interface CustomerState {
  active: boolean;
  /** A Dormant Loyalist who bought again after their stop date is back for good. */
  revivedAfterStop: boolean;
  lastPurchaseAt: number;
  purchases: number;
  orderSeq: number;
  eventSeq: number;
  /** Decayed exposure count and when it was last brought up to date. */
  fatigue: number;
  fatigueAt: number;
  delivered: number;
  /** SKU picks made so far: the counter that keys taste draws. */
  tasteDraws: number;
  /** Per channel: when marketing consent ends (preference revocation or unsubscribe), and the unsubscribe itself. */
  revokedAt: number[];
  unsubscribedAt: number[];
  windows: MessageWindow[];
  /** Rows already decided but timed after the end of the period simulated so far. */
  pending: PendingRow[];
}

export function initialState(p: CustomerProfile): CustomerState {
  return {
    active: p.activeAtStart,
    revivedAfterStop: false,
    lastPurchaseAt: Number.NaN,
    purchases: 0,
    orderSeq: 0,
    eventSeq: 0,
    fatigue: 0,
    fatigueAt: 0,
    delivered: 0,
    tasteDraws: 0,
    revokedAt: [...p.preferenceRevokeAt],
    unsubscribedAt: CHANNELS.map(() => Number.POSITIVE_INFINITY),
    windows: [],
    pending: [],
  };
}

export function hasConsentAt(p: CustomerProfile, s: CustomerState, channel: number, t: number): boolean {
  const granted = p.consentGrantedAt[channel];
  return granted <= t && t < s.revokedAt[channel];
}

/** Alive in the BG/NBD sense at t, assuming no purchase happens before t. */
export function isActiveAt(p: CustomerProfile, s: CustomerState, t: number): boolean {
  return s.active && !(t >= p.stopAt && !s.revivedAfterStop);
}

function decayFactor(p: CustomerProfile, day: number): number {
  if (p.decayDays === Number.POSITIVE_INFINITY) return 1;
  return Math.exp(-Math.max(0, (day + 0.5) * DAY_MS - p.decayFrom) / (p.decayDays * DAY_MS));
}

/** Baseline purchases per day at t (constant within a UTC day): no message effects. */
export function baseDailyRate(p: CustomerProfile, s: CustomerState, t: number): number {
  if (t < p.signupAt) return 0;
  const day = dayNumber(t);
  const rate = isActiveAt(p, s, t) ? (p.ratePerWeek / 7) * decayFactor(p, day) : p.lapsedRatePerWeek / 7;
  return rate * seasonality(day);
}

function windowMultiplier(s: CustomerState, t: number): number {
  let m = 1;
  for (const w of s.windows) if (w.sentAt <= t && t < w.endAt) m *= w.mult;
  return m;
}

/** Expected purchases in [from, to) with the current state and open windows, if nothing else happens. */
export function integratedHazard(p: CustomerProfile, s: CustomerState, from: number, to: number): number {
  let t = from;
  let total = 0;
  while (t < to) {
    let t2 = Math.min(to, (dayNumber(t) + 1) * DAY_MS);
    if (t < p.signupAt && p.signupAt < t2) t2 = p.signupAt;
    for (const w of s.windows) {
      if (w.endAt > t && w.endAt < t2) t2 = w.endAt;
      if (w.sentAt > t && w.sentAt < t2) t2 = w.sentAt;
    }
    total += baseDailyRate(p, s, t) * windowMultiplier(s, t) * ((t2 - t) / DAY_MS);
    t = t2;
  }
  return total;
}

export interface RealizedEffect {
  /** P(at least one purchase in [sentAt, sentAt + window)) without the message. */
  p0: number;
  /** The same with the message delivered. */
  p1: number;
  /** Hazard multiplier over the window that turns p0 into p1. */
  mult: number;
}

/** The effect a message sent at `sentAt` has, as the engine realizes it (ground-truth.ts reports the same). */
export function realizedEffect(
  p: CustomerProfile,
  s: CustomerState,
  strategy: Strategy,
  channel: number,
  offerDepth: number,
  ratio: number,
  sentAt: number,
  fit = 1,
): RealizedEffect {
  const l0 = integratedHazard(p, s, sentAt, sentAt + WINDOW_MS);
  const p0 = -Math.expm1(-l0);
  const lift = messageLift(p, isActiveAt(p, s, sentAt), strategy, channel, offerDepth, ratio, p0, fit);
  const p1 = Math.min(MAX_WINDOW_PROBABILITY, Math.max(0, p0 + lift));
  const mult = l0 > 0 ? -Math.log1p(-p1) / l0 : 1;
  return { p0, p1, mult };
}

const round2 = (x: number) => Math.round(x * 100) / 100;

export interface AdvanceContext {
  rng: Rng;
  sink: SimSink;
  onReject?: (m: EngineMessage, reason: RejectReason) => void;
}

/**
 * Moves one customer from `from` to `to`, delivering `messages` (sorted by sentAt, all in
 * [from, to)). Rows timed inside the period go to the sink; later ones wait in state.pending.
 */
export function advanceCustomer(
  p: CustomerProfile,
  s: CustomerState,
  from: number,
  to: number,
  messages: readonly EngineMessage[],
  ctx: AdvanceContext,
): void {
  new CustomerRun(p, s, from, to, ctx).run(messages);
}

/** One customer over one period; a class rather than closures so the hot path allocates little. */
class CustomerRun {
  private readonly rng: Rng;
  private readonly sink: SimSink;
  private readonly cid: string;

  constructor(
    private readonly p: CustomerProfile,
    private readonly s: CustomerState,
    private readonly from: number,
    private readonly to: number,
    private readonly ctx: AdvanceContext,
  ) {
    this.rng = ctx.rng;
    this.sink = ctx.sink;
    this.cid = p.customerId;
  }

  run(messages: readonly EngineMessage[]): void {
    const { p, s, rng, to } = this;
    // Segments end at every point where the hazard's form changes (sends, window ends, signup, stop
    // date); inside one, purchases are sampled by thinning against a bound, browsing directly.
    let t = this.from;
    let mi = 0;
    while (t < to) {
      while (mi < messages.length && messages[mi].sentAt <= t) this.send(messages[mi++]);
      if (s.windows.length > 0 && s.windows[0].endAt <= t) s.windows = s.windows.filter((w) => w.endAt > t);

      let t2 = to;
      if (mi < messages.length && messages[mi].sentAt < t2) t2 = messages[mi].sentAt;
      if (t < p.signupAt && p.signupAt < t2) t2 = p.signupAt;
      if (t < p.stopAt && p.stopAt < t2) t2 = p.stopAt;
      for (const w of s.windows) if (w.endAt < t2) t2 = w.endAt;

      if (t >= p.signupAt) {
        const mult = windowMultiplier(s, t);
        let c = t;
        for (;;) {
          // Recomputed after each candidate: a purchase can make the customer lapse or return.
          const bound = ((isActiveAt(p, s, c) ? p.ratePerWeek : p.lapsedRatePerWeek) / 7) * SEASONALITY_MAX * mult;
          if (!(bound > 0)) break;
          c += rng.exponential(DAY_MS / bound);
          if (c >= t2) break;
          if (rng.next() * bound < baseDailyRate(p, s, c) * mult) this.purchase(this.placeInDay(c, t, t2));
        }
        const browsePerDay = (p.browsePerWeek / 7) * (isActiveAt(p, s, t) ? 1 : 0.25);
        let b = t;
        while (browsePerDay > 0) {
          b += rng.exponential(DAY_MS / browsePerDay);
          if (b >= t2) break;
          this.browse(this.placeInDay(b, t, t2));
        }
      }
      t = t2;
    }
    while (mi < messages.length) this.send(messages[mi++]); // only when from === to

    if (s.pending.length > 0) {
      const keep: PendingRow[] = [];
      for (const r of s.pending) {
        if (r.at >= to) keep.push(r);
        else if (r.kind === PENDING_RESPONSE)
          this.sink.response(r.messageId, this.cid, CHANNELS[r.channel], r.type, r.at, r.campaignId, Number.NaN);
        else this.sink.consent(this.cid, CHANNELS[r.channel], "marketing", "revoked", "unsubscribe", r.at);
      }
      s.pending = keep;
    }
  }

  private pushPending(kind: PendingRow["kind"], at: number, m: EngineMessage, type: ResponseRow["type"]): void {
    this.s.pending.push({ kind, at, messageId: m.messageId, campaignId: m.campaignId, channel: m.channel, type });
  }

  /**
   * Moves an instant drawn inside [t, t2) to an active hour of the customer's local day, staying in
   * the same UTC day and in [t, t2), so the hazard seen by the process is unchanged.
   */
  private placeInDay(at: number, t: number, t2: number): number {
    const day = dayNumber(at);
    const dayStart = day * DAY_MS;
    const hour = this.rng.pickCumulative(this.p.activeHoursCum);
    const localMs = hour * 3_600_000 + this.rng.int(3600) * SECOND_MS;
    const offsetMs = utcOffsetMinutes(this.p.tzIndex, day) * MINUTE_MS;
    const candidate = dayStart + ((((localMs - offsetMs) % DAY_MS) + DAY_MS) % DAY_MS);
    if (candidate >= t && candidate < t2) return candidate;
    return Math.floor(at / SECOND_MS) * SECOND_MS;
  }

  private pickSku(shrink: number): Sku {
    const cat = this.rng.pickCumulative(this.p.categoryCum);
    const pos = this.p.pricePos * shrink + 0.15 * this.rng.normal();
    const idx = Math.min(SKUS_PER_CATEGORY - 1, Math.max(0, Math.round(pos * (SKUS_PER_CATEGORY - 1))));
    return CATALOG[cat][followTaste(this.p, cat, idx, this.s.tasteDraws++)];
  }

  private event(at: number, type: EventRow["type"], category: string, sku: string): void {
    // Clamped into the period so every row a step returns happened inside it.
    const when = Math.min(this.to - SECOND_MS, Math.max(at, this.from, this.p.signupAt));
    this.sink.event(++this.s.eventSeq, this.cid, when, type, category, sku);
  }

  private purchase(at: number): void {
    const { p, s, rng, cid } = this;
    if (!isActiveAt(p, s, at)) {
      s.active = true;
      if (at >= p.stopAt) s.revivedAfterStop = true;
    }
    let win: MessageWindow | undefined;
    for (let i = s.windows.length - 1; i >= 0; i--) {
      const w = s.windows[i];
      if (w.sentAt <= at && at < w.endAt && w.engagedAt <= at && !w.converted && at < s.unsubscribedAt[w.channel]) {
        win = w;
        break;
      }
    }
    let depth = win ? win.offerDepth : 0;
    // Without a message offer, the shopper may still use a site / in-store promotion (coupon floaters nearly always do).
    if (depth === 0 && rng.chance(p.promoUse)) depth = p.promoDepth;

    const decay = decayFactor(p, dayNumber(at));
    const shrink = p.decayDays === Number.POSITIVE_INFINITY ? 1 : 0.6 + 0.4 * decay;
    const lines = Math.min(8, 1 + rng.poisson((p.linesMean - 1) * shrink));
    const channel = ORDER_CHANNELS[ORDER_CHANNEL_OF_WEIGHT[rng.pickCumulative(p.orderChannelCum)]];
    const cancelled = rng.chance(p.cancelRate);
    const orderSeq = ++s.orderSeq;
    let revenue = 0;
    let firstCategory = "";
    let firstSku = "";
    for (let line = 1; line <= lines; line++) {
      const sku = this.pickSku(shrink);
      const quantity = rng.chance(sku.multiUnit) ? (rng.chance(0.7) ? 2 : 3) : 1;
      const gross = sku.price * quantity;
      const discount = round2(gross * depth);
      const margin = round2(gross * Math.min(0.9, sku.marginRate * p.marginMult) - discount);
      const status = cancelled ? "cancelled" : rng.chance(p.returnRate) ? "returned" : "completed";
      if (status === "completed") revenue += gross - discount;
      if (line === 1) {
        firstCategory = sku.category;
        firstSku = sku.sku;
      }
      this.sink.order(orderSeq, line, cid, at, channel, sku.sku, sku.category, quantity, sku.price, discount, margin, status);
    }
    if (channel !== "store") {
      if (channel === "app") this.event(at - 60_000 - Math.floor(rng.exponential(20)) * MINUTE_MS, "app_session", "", "");
      this.event(at - 30_000 - Math.floor(rng.exponential(8)) * MINUTE_MS, "product_view", firstCategory, firstSku);
      this.event(at - SECOND_MS * (5 + rng.int(120)), "cart_add", firstCategory, firstSku);
    }
    if (win && !cancelled) {
      win.converted = true;
      this.sink.response(win.messageId, cid, CHANNELS[win.channel], "conversion", at, win.campaignId, round2(revenue));
    }
    s.lastPurchaseAt = at;
    s.purchases++;
    if (rng.chance(p.dropoutProb)) s.active = false;
  }

  private browse(at: number): void {
    const { p, rng } = this;
    let t = at;
    if (p.appUser && rng.chance(0.6)) this.event(t, "app_session", "", "");
    if (rng.chance(0.3)) {
      const sku = this.pickSku(1);
      t += SECOND_MS * (10 + rng.int(60));
      this.event(t, "search", sku.category, "");
    }
    const views = 1 + (rng.chance(0.4) ? 1 : 0) + (rng.chance(0.15) ? 1 : 0);
    let last = this.pickSku(1);
    for (let i = 0; i < views; i++) {
      last = this.pickSku(1);
      t += SECOND_MS * (15 + rng.int(180));
      this.event(t, "product_view", last.category, last.sku);
    }
    if (rng.chance(0.12)) {
      t += SECOND_MS * (5 + rng.int(60));
      this.event(t, "cart_add", last.category, last.sku);
      if (rng.chance(0.4)) this.event(t + SECOND_MS * (30 + rng.int(600)), "cart_remove", last.category, last.sku);
    }
  }

  private send(m: EngineMessage): void {
    const { p, s, rng } = this;
    const c = m.channel;
    const t = m.sentAt;
    if (t < p.signupAt) return this.ctx.onReject?.(m, "not_signed_up");
    if (!isSendingStrategy(m.strategy)) return this.ctx.onReject?.(m, "no_send");
    if (m.onlyIfLapsedDays !== undefined && t - s.lastPurchaseAt < m.onlyIfLapsedDays * DAY_MS) {
      return this.ctx.onReject?.(m, "not_in_audience");
    }
    if (!hasConsentAt(p, s, c, t)) return this.ctx.onReject?.(m, "no_consent");
    if (rng.next() < p.bounce[c]) {
      this.pushPending(PENDING_RESPONSE, t + SECOND_MS * (5 + rng.int(60)), m, "bounce");
      return;
    }
    const deliveredAt = t + SECOND_MS * (1 + rng.int(90));
    this.pushPending(PENDING_RESPONSE, deliveredAt, m, "delivered");
    s.delivered++;

    const level = decayFatigue(s.fatigue, s.fatigueAt, t);
    const ratio = fatigueRatio(p, level);
    s.fatigue = level + EXPOSURE_WEIGHT[c];
    s.fatigueAt = t;
    const active = isActiveAt(p, s, t);
    const { mult } = realizedEffect(p, s, m.strategy, c, m.offerDepth, ratio, t, productFitOf(p, m.productSku));

    const unsubAt = s.unsubscribedAt[c];
    const engagement = fatigueEngagementFactor(ratio) * (active ? 1 : 0.6);
    let engagedAt = Number.POSITIVE_INFINITY;
    let openedAt = Number.POSITIVE_INFINITY;
    if (CHANNELS[c] === "sms") {
      if (rng.next() < p.click[c] * engagement) {
        const clickAt = deliveredAt + SECOND_MS * (10 + Math.floor(rng.exponential(1800)));
        if (clickAt < unsubAt) {
          this.pushPending(PENDING_RESPONSE, clickAt, m, "click");
          engagedAt = clickAt;
        }
      }
    } else if (rng.next() < p.open[c] * engagement) {
      const openAt = deliveredAt + SECOND_MS * (30 + Math.floor(rng.exponential(3 * 3600)));
      if (openAt < unsubAt) {
        this.pushPending(PENDING_RESPONSE, openAt, m, "open");
        openedAt = openAt;
        engagedAt = openAt;
        if (rng.next() < p.click[c]) {
          const clickAt = openAt + SECOND_MS * (5 + Math.floor(rng.exponential(180)));
          if (clickAt < unsubAt) this.pushPending(PENDING_RESPONSE, clickAt, m, "click");
        }
      }
    }
    if (unsubAt === Number.POSITIVE_INFINITY && rng.next() < unsubscribeProbability(p, c, ratio)) {
      const at = Math.min(openedAt, deliveredAt + 20 * 60 * SECOND_MS) + SECOND_MS * (5 + Math.floor(rng.exponential(120)));
      s.unsubscribedAt[c] = at;
      s.revokedAt[c] = Math.min(s.revokedAt[c], at);
      // Nothing on this channel is engaged with after the unsubscribe.
      s.pending = s.pending.filter((r) => !(r.channel === c && r.at > at && (r.type === "open" || r.type === "click")));
      this.pushPending(PENDING_RESPONSE, at, m, "unsubscribe");
      this.pushPending(PENDING_CONSENT, at, m, "unsubscribe");
      if (engagedAt > at) engagedAt = Number.POSITIVE_INFINITY;
    }
    s.windows.push({
      messageId: m.messageId,
      campaignId: m.campaignId,
      channel: c,
      offerDepth: m.offerDepth,
      sentAt: t,
      endAt: t + WINDOW_MS,
      mult,
      engagedAt,
      converted: false,
    });
  }
}

/** The fit of a recommended product (1, no change, when the message names none or one not in the catalog). */
export function productFitOf(p: CustomerProfile, sku: string | undefined): number {
  if (sku === undefined) return 1;
  const at = skuPosition(sku);
  return at ? productFit(p, at[0], at[1]) : 1;
}

/** orderChannelCum is weighted store, web, app; ORDER_CHANNELS is web, app, store. */
const ORDER_CHANNEL_OF_WEIGHT = [2, 0, 1] as const;
