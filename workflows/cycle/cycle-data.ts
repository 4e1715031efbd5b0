import { CHANNELS, type Channel, type FatigueStrategy } from "../../core/domain.js";
import type { Db } from "../../store/db.js";
import { loadHistories, marketingConsents, type LoadedHistory } from "../../store/history-repo.js";
import { segmentMemberships } from "../../store/segments-repo.js";
import { auc, scoreChurn, trainChurnModel } from "../../tools/churn.js";
import { computeClv, type ClvCustomer, type ClvInput, type ClvOutput } from "../../tools/clv-model.js";
import { assessFatigueUnchecked, DEFAULT_FATIGUE_CONFIG, type TimedEngagementEvent } from "../../tools/fatigue.js";
import { segmentRunId } from "./ids.js";
import { computeFeatureMatrix, FEATURE_COUNT, FEATURE_NAMES, type FeatureMatrix } from "../../tools/features.js";

/**
 * Per-customer fatigue as columns (one entry per customer, by position): a typed array and shared
 * values instead of an object per customer, so a million customers cost megabytes, not a gigabyte.
 */
export interface FatigueColumns {
  score: Float64Array;
  strategy: FatigueStrategy[];
  /** Shared arrays (customers with the same channels point at the same one): read, never mutate. */
  allowedChannels: Channel[][];
  /** Engagement per customer and channel, row-major over CHANNELS; NaN where the tool reported none. */
  engagement: Float64Array;
}

/**
 * Everything the cycle knows about each customer as of `asOf`: feature vectors, fatigue and
 * engagement per channel, CLV, P(alive) and churn risk. Computed from the database alone and only
 * from data before `asOf`, so a restarted process recomputes exactly the same values. Every column
 * is by position in `customerIds` (id order).
 */
export interface CycleData {
  asOf: Date;
  customerIds: string[];
  /** Each customer's time zone (one string per distinct zone). */
  timezones: string[];
  index: Map<string, number>;
  features: FeatureMatrix;
  fatigue: FatigueColumns;
  clv: { pAlive: Float64Array; expectedPurchases: Float64Array; clv: Float64Array };
  churn: Float64Array;
  churnAuc: number | null;
  /** Channels with a granted marketing consent, per customer: a bit per channel of CHANNELS. */
  consented: Uint8Array;
  /** Probability of at least one purchase in the attribution window without contact. */
  baselinePurchase: Float64Array;
  /**
   * The category each customer spent most on (completed lines, quantity × unit price, ties to the
   * first name in code-point order) over the history the cycle reads; null without a completed line.
   */
  topCategory: (string | null)[];
  seconds: number;
}

const CHANNEL_BIT = new Map<string, number>(CHANNELS.map((c, i) => [c, 1 << i]));

/** Whether customer i has a granted marketing consent on the channel. */
export function hasConsent(data: Pick<CycleData, "consented">, i: number, channel: string): boolean {
  return ((data.consented[i] ?? 0) & (CHANNEL_BIT.get(channel) ?? 0)) !== 0;
}

/** Customer i's engagement on a channel, undefined where the fatigue tool reported none. */
export function channelEngagement(f: FatigueColumns, i: number, channel: string): number | undefined {
  const c = CHANNELS.indexOf(channel as Channel);
  if (c < 0) return undefined;
  const v = f.engagement[i * CHANNELS.length + c]!;
  return Number.isNaN(v) ? undefined : v;
}

/** Customer i's engagement per channel, as the fatigue tool reported it. */
export function engagementRecord(f: FatigueColumns, i: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (let c = 0; c < CHANNELS.length; c++) {
    const v = f.engagement[i * CHANNELS.length + c]!;
    if (!Number.isNaN(v)) out[CHANNELS[c]!] = v;
  }
  return out;
}

/** Customer i's highest engagement over its channels (0 with none). */
export function maxEngagement(f: FatigueColumns, i: number): number {
  let best = Number.NEGATIVE_INFINITY;
  for (let c = 0; c < CHANNELS.length; c++) {
    const v = f.engagement[i * CHANNELS.length + c]!;
    if (!Number.isNaN(v) && v > best) best = v;
  }
  return best === Number.NEGATIVE_INFINITY ? 0 : best;
}

const DAY = 86_400_000;
const WEEK = 7 * DAY;

export function featureIndex(name: string): number {
  const i = FEATURE_NAMES.indexOf(name as (typeof FEATURE_NAMES)[number]);
  if (i < 0) throw new Error(`unknown feature ${name}`);
  return i;
}

/** The cycle's per-customer data: from this process's memo, else computed (same result after a restart). */
export async function cycleData(
  deps: { db: Db; memo: { data(cycleId: string): CycleData | undefined; keep(cycleId: string, data: CycleData): void } },
  state: { cycleId: string; asOf: string; settings: { attributionDays: number } },
): Promise<CycleData> {
  let data = deps.memo.data(state.cycleId);
  if (!data) {
    data = await computeCycleData(deps.db, new Date(state.asOf), { attributionDays: state.settings.attributionDays });
    deps.memo.keep(state.cycleId, data);
  }
  return data;
}

/** Segment of every customer the cycle's refresh placed, by customer id. */
export async function segmentOf(deps: { db: Db }, cycleId: string): Promise<Map<string, string>> {
  return segmentMemberships(deps.db, segmentRunId(cycleId));
}

/**
 * What the cycle reads from the database and derives customer by customer: everything in CycleData
 * but the two models fitted over everyone (CLV, churn). Refresh fits CLV on a thread of its own
 * while it trains churn, segments and stores the segment run; computeCycleData does all in turn.
 */
export interface CycleInputs {
  asOf: Date;
  started: number;
  customerIds: string[];
  timezones: string[];
  index: Map<string, number>;
  features: FeatureMatrix;
  /** The same features 90 days before asOf: churn's training rows. */
  past: FeatureMatrix;
  fatigue: FatigueColumns;
  rfm: ClvCustomer[];
  /** Churn's label per customer who bought before the 90 days up to asOf: 1 no purchase in them, 0 bought again; null otherwise. */
  churnLabel: Int8Array;
  topCategory: (string | null)[];
  consented: Uint8Array;
}

/** Churn label codes in CycleInputs.churnLabel. */
const NO_LABEL = -1;

export async function computeCycleData(db: Db, asOf: Date, options: { attributionDays: number; pageSize?: number }): Promise<CycleData> {
  return completeCycleData(await loadCycleInputs(db, asOf, options), options);
}

/** One string per distinct value (time zones, categories, channel lists read once per customer). */
function interner<T>() {
  const seen = new Map<string, T>();
  return (key: string, make: () => T): T => {
    let v = seen.get(key);
    if (v === undefined) seen.set(key, (v = make()));
    return v;
  };
}

/** Growable columns: a page is appended at a time, the arrays doubled when full. */
class GrowingFloat64 {
  values: Float64Array;
  length = 0;
  constructor(capacity: number) {
    this.values = new Float64Array(capacity);
  }
  reserve(extra: number): void {
    if (this.length + extra <= this.values.length) return;
    const grown = new Float64Array(Math.max(this.values.length * 2, this.length + extra));
    grown.set(this.values.subarray(0, this.length));
    this.values = grown;
  }
  done(): Float64Array {
    return this.values.slice(0, this.length);
  }
}

export async function loadCycleInputs(db: Db, asOf: Date, options: { pageSize?: number } = {}): Promise<CycleInputs> {
  const started = Date.now();
  const cutoff = new Date(asOf.getTime() - 90 * DAY);
  const customerIds: string[] = [];
  const timezones: string[] = [];
  const features = new GrowingFloat64(1 << 16);
  const past = new GrowingFloat64(1 << 16);
  const fatigueScore = new GrowingFloat64(1 << 12);
  const engagement = new GrowingFloat64(1 << 14);
  const strategy: FatigueStrategy[] = [];
  const allowedChannels: Channel[][] = [];
  const rfm: ClvCustomer[] = [];
  const churnLabel: number[] = [];
  const topCategory: (string | null)[] = [];
  const zone = interner<string>();
  const channelList = interner<Channel[]>();
  const category = interner<string>();
  const fatigueFrom = asOf.getTime() - DEFAULT_FATIGUE_CONFIG.lookbackDays * DAY;
  // Everything per customer is done page by page, while the database reads the next page; a page's
  // histories are dropped once its columns are written.
  for await (const page of loadHistories(db, asOf, { pageSize: options.pageSize })) {
    const n = page.histories.length;
    features.reserve(n * FEATURE_COUNT);
    past.reserve(n * FEATURE_COUNT);
    features.values.set(computeFeatureMatrix(page.histories, asOf).values, features.length);
    past.values.set(computeFeatureMatrix(page.histories, cutoff).values, past.length);
    features.length += n * FEATURE_COUNT;
    past.length += n * FEATURE_COUNT;
    // Fatigue and engagement per channel from message engagement. Unchecked: the rows come typed
    // from the store; validating ~1M events through zod cost seconds. Only the responses inside the
    // tool's lookback are handed over (it skips the others; the features read two years of them).
    const fat = assessFatigueUnchecked({
      asOf: asOf.getTime(),
      customers: page.histories.map((h) => {
        const events: TimedEngagementEvent[] = [];
        for (const r of h.responses)
          if (r.occurred_at <= asOf.getTime() && r.occurred_at >= fatigueFrom)
            events.push({ channel: r.channel as Channel, type: r.type, at: r.occurred_at });
        return { customerId: h.customer.customer_id, events };
      }),
      config: DEFAULT_FATIGUE_CONFIG,
    });
    fatigueScore.reserve(n);
    engagement.reserve(n * CHANNELS.length);
    for (const c of fat) {
      fatigueScore.values[fatigueScore.length++] = c.fatigue;
      strategy.push(c.strategy);
      allowedChannels.push(channelList(c.allowedChannels.join(","), () => [...c.allowedChannels]));
      const row = engagement.values.subarray(engagement.length, engagement.length + CHANNELS.length);
      row.fill(Number.NaN);
      for (const ch of c.channels) {
        const k = CHANNELS.indexOf(ch.channel);
        if (k >= 0) row[k] = ch.engagement;
      }
      engagement.length += CHANNELS.length;
    }
    for (const h of page.histories) {
      customerIds.push(h.customer.customer_id);
      timezones.push(zone(h.customer.timezone, () => h.customer.timezone));
      rfm.push(rfmOf(h, asOf));
      const label = churnLabelOf(h, cutoff.getTime(), asOf.getTime());
      churnLabel.push(label ?? NO_LABEL);
      const top = topCategoryOf(h);
      topCategory.push(top === null ? null : category(top, () => top));
    }
  }
  const consents = await marketingConsents(db, asOf);
  const consented = new Uint8Array(customerIds.length);
  customerIds.forEach((id, i) => {
    for (const ch of consents.get(id) ?? []) consented[i]! |= CHANNEL_BIT.get(ch) ?? 0;
  });
  return {
    asOf,
    started,
    customerIds,
    timezones,
    index: new Map(customerIds.map((id, i) => [id, i])),
    features: { feature_names: FEATURE_NAMES, customer_ids: customerIds, values: features.done() },
    past: { feature_names: FEATURE_NAMES, customer_ids: customerIds, values: past.done() },
    fatigue: { score: fatigueScore.done(), strategy, allowedChannels, engagement: engagement.done() },
    rfm,
    churnLabel: Int8Array.from(churnLabel),
    topCategory,
    consented,
  };
}

/** CLV (BG/NBD + Gamma-Gamma) and churn (a model on a 90-day time split): pure computation over everyone. */
export function completeCycleData(inputs: CycleInputs, options: { attributionDays: number }): CycleData {
  return assembleCycleData(inputs, computeClv(clvInputOf(inputs)), churnOf(inputs), options);
}

/** Customers the CLV model is fitted on at most (an even spread; everyone is scored). */
export const CLV_FIT_SAMPLE = 50_000;

/** CLV's input: each customer's repeat purchases, in weeks; 52 weeks ahead at a 35% margin. */
export function clvInputOf(inputs: Pick<CycleInputs, "rfm">): ClvInput {
  return { customers: inputs.rfm, horizonWeeks: 52, margin: 0.35, annualDiscountRate: 0.1, fitSampleSize: CLV_FIT_SAMPLE };
}

/** Churn: a model trained on the features 90 days ago and whether the customer bought since, scored on today's. */
export function churnOf(inputs: Pick<CycleInputs, "customerIds" | "features" | "past" | "churnLabel">): {
  churn: Float64Array;
  churnAuc: number | null;
} {
  const { customerIds, features, past } = inputs;
  const trainRows: Float64Array[] = [];
  const labels: number[] = [];
  for (let i = 0; i < customerIds.length; i++) {
    const label = inputs.churnLabel[i];
    if (label === NO_LABEL || label === undefined) continue;
    trainRows.push(past.values.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT));
    labels.push(label);
  }
  let churn = new Float64Array(customerIds.length).fill(0.5);
  let churnAuc: number | null = null;
  if (labels.length >= 50 && labels.some((l) => l === 1) && labels.some((l) => l === 0)) {
    const model = trainChurnModel({ features: trainRows, labels, seed: 7 });
    churnAuc = auc(scoreChurn(model, trainRows), labels);
    const rows = customerIds.map((_, i) => features.values.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT));
    churn = Float64Array.from(scoreChurn(model, rows));
  }
  return { churn, churnAuc };
}

/** CycleData from the inputs and the two models' results. */
export function assembleCycleData(
  inputs: CycleInputs,
  clvOut: ClvOutput,
  churn: { churn: Float64Array; churnAuc: number | null },
  options: { attributionDays: number },
): CycleData {
  const n = inputs.customerIds.length;
  const clv = { pAlive: new Float64Array(n).fill(1), expectedPurchases: new Float64Array(n), clv: new Float64Array(n) };
  for (const c of clvOut.customers) {
    const i = inputs.index.get(c.id);
    if (i === undefined) continue;
    clv.pAlive[i] = c.pAlive;
    clv.expectedPurchases[i] = c.expectedPurchases;
    clv.clv[i] = c.clv ?? 0;
  }
  // Expected purchases in the window from BG/NBD's 52-week figure, as P(at least one) under Poisson arrivals.
  const horizonShare = options.attributionDays / 7 / 52;
  const baselinePurchase = Float64Array.from(clv.expectedPurchases, (e) => 1 - Math.exp(-e * horizonShare));
  return {
    asOf: inputs.asOf,
    customerIds: inputs.customerIds,
    timezones: inputs.timezones,
    index: inputs.index,
    features: inputs.features,
    fatigue: inputs.fatigue,
    clv,
    churn: churn.churn,
    churnAuc: churn.churnAuc,
    consented: inputs.consented,
    baselinePurchase,
    topCategory: inputs.topCategory,
    seconds: (Date.now() - inputs.started) / 1000,
  };
}

/** A customer's calibration summary for CLV: repeat purchase days, in weeks. */
function rfmOf(h: LoadedHistory, asOf: Date): ClvCustomer {
  const days = new Map<number, number>();
  for (const o of h.orders) {
    if (o.status !== "completed") continue;
    const day = Math.floor(o.ordered_at / DAY);
    days.set(day, (days.get(day) ?? 0) + o.quantity * o.unit_price - (o.discount ?? 0));
  }
  const sorted = [...days.keys()].sort((a, b) => a - b);
  if (sorted.length === 0)
    return {
      id: h.customer.customer_id,
      x: 0,
      tx: 0,
      T: Math.max((asOf.getTime() - new Date(h.customer.signup_at).getTime()) / WEEK, 1 / 7),
    };
  const first = sorted[0]! * DAY;
  const repeat = sorted.slice(1).map((d) => days.get(d)!);
  return {
    id: h.customer.customer_id,
    x: sorted.length - 1,
    tx: ((sorted.at(-1)! - sorted[0]!) * DAY) / WEEK,
    T: Math.max((asOf.getTime() - first) / WEEK, 1 / 7),
    ...(repeat.length > 0 ? { averageSpend: Math.max(repeat.reduce((a, b) => a + b, 0) / repeat.length, 0.01) } : {}),
  };
}

/** Churn's label for a customer who had bought before the cutoff: 1 if nothing since (until asOf), 0 if they bought again. */
function churnLabelOf(h: LoadedHistory, cutoff: number, asOf: number): 0 | 1 | null {
  let before = false;
  let since = false;
  for (const o of h.orders) {
    if (o.status !== "completed") continue;
    if (o.ordered_at < cutoff) before = true;
    else if (o.ordered_at < asOf) since = true;
  }
  return before ? (since ? 0 : 1) : null;
}

/** The category with the largest completed spend (quantity × unit price), ties to the first name; null without one. */
function topCategoryOf(h: LoadedHistory): string | null {
  const spend = new Map<string, number>();
  for (const o of h.orders) if (o.status === "completed") spend.set(o.category, (spend.get(o.category) ?? 0) + o.quantity * o.unit_price);
  let best: string | null = null;
  let bestSpend = Number.NEGATIVE_INFINITY;
  for (const [category, total] of spend) {
    if (total > bestSpend || (total === bestSpend && best !== null && category < best)) {
      best = category;
      bestSpend = total;
    }
  }
  return best;
}
