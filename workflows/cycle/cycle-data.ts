import type { Channel, FatigueStrategy } from "../../core/domain.js";
import type { Db } from "../../store/db.js";
import { loadHistories, marketingConsents, type HistoryCustomer, type LoadedHistory } from "../../store/history-repo.js";
import { auc, scoreChurn, trainChurnModel } from "../../tools/churn.js";
import { computeClv, type ClvCustomer, type ClvInput, type ClvOutput } from "../../tools/clv-model.js";
import { assessFatigueUnchecked } from "../../tools/fatigue.js";
import { computeFeatureMatrix, FEATURE_COUNT, FEATURE_NAMES, type FeatureMatrix } from "../../tools/features.js";

/**
 * Everything the cycle knows about each customer as of `asOf`: feature vectors, fatigue and
 * engagement per channel, CLV, P(alive) and churn risk. Computed from the database alone and only
 * from data before `asOf`, so a restarted process recomputes exactly the same values.
 */
export interface CycleData {
  asOf: Date;
  customers: HistoryCustomer[];
  index: Map<string, number>;
  features: FeatureMatrix;
  fatigue: {
    fatigue: number;
    strategy: FatigueStrategy;
    allowedChannels: Channel[];
    engagement: Record<string, number>;
    reason: string;
  }[];
  clv: { pAlive: number; expectedPurchases: number; clv: number }[];
  churn: Float64Array;
  churnAuc: number | null;
  /** Channels with a granted marketing consent, per customer (by position). */
  consented: Set<string>[];
  /** Probability of at least one purchase in the attribution window without contact. */
  baselinePurchase: Float64Array;
  /**
   * The category each customer spent most on (completed lines, quantity × unit price, ties to the
   * first name in code-point order) over the history the cycle reads; null without a completed line.
   */
  topCategory: (string | null)[];
  seconds: number;
}

const DAY = 86_400_000;
const WEEK = 7 * DAY;

export function featureIndex(name: string): number {
  const i = FEATURE_NAMES.indexOf(name as (typeof FEATURE_NAMES)[number]);
  if (i < 0) throw new Error(`unknown feature ${name}`);
  return i;
}

/**
 * What the cycle reads from the database and derives customer by customer: everything in CycleData
 * but the two models fitted over everyone (CLV, churn). Refresh fits CLV on a thread of its own
 * while it trains churn, segments and stores the segment run; computeCycleData does all in turn.
 */
export interface CycleInputs {
  asOf: Date;
  started: number;
  customers: HistoryCustomer[];
  index: Map<string, number>;
  features: FeatureMatrix;
  /** The same features 90 days before asOf: churn's training rows. */
  past: FeatureMatrix;
  fatigue: CycleData["fatigue"];
  rfm: ClvCustomer[];
  /** Churn's label per customer who bought before the 90 days up to asOf: 1 no purchase in them, 0 bought again; null otherwise. */
  churnLabel: (0 | 1 | null)[];
  topCategory: (string | null)[];
  consented: Set<string>[];
}

export async function computeCycleData(db: Db, asOf: Date, options: { attributionDays: number; pageSize?: number }): Promise<CycleData> {
  return completeCycleData(await loadCycleInputs(db, asOf, options), options);
}

export async function loadCycleInputs(db: Db, asOf: Date, options: { pageSize?: number } = {}): Promise<CycleInputs> {
  const started = Date.now();
  const cutoff = new Date(asOf.getTime() - 90 * DAY);
  const customers: HistoryCustomer[] = [];
  const featurePages: FeatureMatrix[] = [];
  const pastPages: FeatureMatrix[] = [];
  const fatigue: CycleData["fatigue"] = [];
  const rfm: ClvCustomer[] = [];
  const churnLabel: (0 | 1 | null)[] = [];
  const topCategory: (string | null)[] = [];
  // Everything per customer is done page by page, while the database reads the next page.
  for await (const page of loadHistories(db, asOf, { pageSize: options.pageSize })) {
    customers.push(...page.customers);
    featurePages.push(computeFeatureMatrix(page.histories, asOf));
    pastPages.push(computeFeatureMatrix(page.histories, cutoff));
    // Fatigue and engagement per channel from message engagement. Unchecked: the rows come typed
    // from the store; validating ~1M events through zod cost seconds.
    const fat = assessFatigueUnchecked({
      asOf: asOf.getTime(),
      customers: page.histories.map((h) => ({
        customerId: h.customer.customer_id,
        events: h.responses.map((r) => ({ channel: r.channel as Channel, type: r.type, at: r.occurred_at })),
      })),
    });
    for (const c of fat) {
      fatigue.push({
        fatigue: c.fatigue,
        strategy: c.strategy,
        allowedChannels: c.allowedChannels,
        engagement: Object.fromEntries(c.channels.map((ch) => [ch.channel, ch.engagement])),
        reason: c.reason,
      });
    }
    for (const h of page.histories) {
      rfm.push(rfmOf(h, asOf));
      churnLabel.push(churnLabelOf(h, cutoff.getTime(), asOf.getTime()));
      topCategory.push(topCategoryOf(h));
    }
  }
  const consents = await marketingConsents(db, asOf);
  return {
    asOf,
    started,
    customers,
    index: new Map(customers.map((c, i) => [c.customer_id, i])),
    features: concatMatrices(featurePages),
    past: concatMatrices(pastPages),
    fatigue,
    rfm,
    churnLabel,
    topCategory,
    consented: customers.map((c) => consents.get(c.customer_id) ?? new Set<string>()),
  };
}

/** CLV (BG/NBD + Gamma-Gamma) and churn (a model on a 90-day time split): pure computation over everyone. */
export function completeCycleData(inputs: CycleInputs, options: { attributionDays: number }): CycleData {
  return assembleCycleData(inputs, computeClv(clvInputOf(inputs)), churnOf(inputs), options);
}

/** CLV's input: each customer's repeat purchases, in weeks; 52 weeks ahead at a 35% margin. */
export function clvInputOf(inputs: CycleInputs): ClvInput {
  return { customers: inputs.rfm, horizonWeeks: 52, margin: 0.35, annualDiscountRate: 0.1 };
}

/** Churn: a model trained on the features 90 days ago and whether the customer bought since, scored on today's. */
export function churnOf(inputs: CycleInputs): { churn: Float64Array; churnAuc: number | null } {
  const { customers, features, past } = inputs;
  const trainRows: Float64Array[] = [];
  const labels: number[] = [];
  past.customer_ids.forEach((_, i) => {
    const label = inputs.churnLabel[i];
    if (label === null || label === undefined) return;
    trainRows.push(past.values.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT));
    labels.push(label);
  });
  let churn = new Float64Array(customers.length).fill(0.5);
  let churnAuc: number | null = null;
  if (labels.length >= 50 && labels.some((l) => l === 1) && labels.some((l) => l === 0)) {
    const model = trainChurnModel({ features: trainRows, labels, seed: 7 });
    churnAuc = auc(scoreChurn(model, trainRows), labels);
    const rows = customers.map((_, i) => features.values.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT));
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
  const clvById = new Map(clvOut.customers.map((c) => [c.id, c]));
  const clv = inputs.customers.map((c) => {
    const r = clvById.get(c.customer_id);
    return { pAlive: r?.pAlive ?? 1, expectedPurchases: r?.expectedPurchases ?? 0, clv: r?.clv ?? 0 };
  });
  // Expected purchases in the window from BG/NBD's 52-week figure, as P(at least one) under Poisson arrivals.
  const horizonShare = options.attributionDays / 7 / 52;
  const baselinePurchase = Float64Array.from(clv, (c) => 1 - Math.exp(-c.expectedPurchases * horizonShare));
  return {
    asOf: inputs.asOf,
    customers: inputs.customers,
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

/** Feature matrices of consecutive pages as one. */
function concatMatrices(pages: readonly FeatureMatrix[]): FeatureMatrix {
  const values = new Float64Array(pages.reduce((n, p) => n + p.values.length, 0));
  let at = 0;
  for (const p of pages) {
    values.set(p.values, at);
    at += p.values.length;
  }
  return { feature_names: FEATURE_NAMES, customer_ids: pages.flatMap((p) => p.customer_ids), values };
}
