import { CHANNELS } from "../../ingest/formats.js";
import type { Db } from "../../store/db.js";
import { loadHistories, marketingConsents, type HistoryCustomer } from "../../store/history-repo.js";
import { auc, scoreChurn, trainChurnModel } from "../../tools/churn.js";
import { computeClv } from "../../tools/clv.js";
import { assessFatigue } from "../../tools/fatigue.js";
import { computeFeatureMatrix, FEATURE_COUNT, FEATURE_NAMES, type CustomerHistory, type FeatureMatrix } from "../../tools/features.js";

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
  fatigue: { fatigue: number; strategy: "cooldown" | "reengage" | "targeted_promo"; allowedChannels: string[]; engagement: Record<string, number>; reason: string }[];
  clv: { pAlive: number; expectedPurchases: number; clv: number }[];
  churn: Float64Array;
  churnAuc: number | null;
  /** Channels with a granted marketing consent, per customer (by position). */
  consented: Set<string>[];
  /** Probability of at least one purchase in the attribution window without contact. */
  baselinePurchase: Float64Array;
  seconds: number;
}

const DAY = 86_400_000;
const WEEK = 7 * DAY;

export function featureIndex(name: string): number {
  const i = FEATURE_NAMES.indexOf(name as (typeof FEATURE_NAMES)[number]);
  if (i < 0) throw new Error(`unknown feature ${name}`);
  return i;
}

export async function computeCycleData(db: Db, asOf: Date, options: { attributionDays: number; pageSize?: number }): Promise<CycleData> {
  const started = Date.now();
  const histories: CustomerHistory[] = [];
  const customers: HistoryCustomer[] = [];
  for await (const page of loadHistories(db, asOf, { pageSize: options.pageSize })) {
    customers.push(...page.customers);
    histories.push(...page.histories);
  }
  const features = computeFeatureMatrix(histories, asOf);
  const index = new Map(customers.map((c, i) => [c.customer_id, i]));

  // Fatigue and engagement per channel from message engagement.
  const fat = assessFatigue({
    asOf: asOf.toISOString(),
    customers: histories.map((h) => ({
      customerId: h.customer.customer_id,
      events: (h.responses ?? []).map((r) => ({ channel: r.channel as (typeof CHANNELS)[number], type: r.type, at: new Date(r.occurred_at).toISOString() })),
    })),
  });
  const fatigue = fat.customers.map((c) => ({
    fatigue: c.fatigue,
    strategy: c.strategy,
    allowedChannels: c.allowedChannels,
    engagement: Object.fromEntries(c.channels.map((ch) => [ch.channel, ch.engagement])),
    reason: c.reason,
  }));

  // CLV: BG/NBD + Gamma-Gamma on each customer's repeat purchases, in weeks.
  const rfm = histories.map((h) => {
    const days = new Map<number, number>();
    for (const o of h.orders) {
      if (o.status !== "completed") continue;
      const t = new Date(o.ordered_at).getTime();
      const day = Math.floor(t / DAY);
      days.set(day, (days.get(day) ?? 0) + o.quantity * o.unit_price - (o.discount ?? 0));
    }
    const sorted = [...days.keys()].sort((a, b) => a - b);
    if (sorted.length === 0) return { id: h.customer.customer_id, x: 0, tx: 0, T: Math.max((asOf.getTime() - new Date(h.customer.signup_at).getTime()) / WEEK, 1 / 7) };
    const first = sorted[0]! * DAY;
    const repeat = sorted.slice(1).map((d) => days.get(d)!);
    return {
      id: h.customer.customer_id,
      x: sorted.length - 1,
      tx: ((sorted.at(-1)! - sorted[0]!) * DAY) / WEEK,
      T: Math.max((asOf.getTime() - first) / WEEK, 1 / 7),
      ...(repeat.length > 0 ? { averageSpend: Math.max(repeat.reduce((a, b) => a + b, 0) / repeat.length, 0.01) } : {}),
    };
  });
  const clvOut = computeClv({ customers: rfm, horizonWeeks: 52, margin: 0.35, annualDiscountRate: 0.1 });
  const clvById = new Map(clvOut.customers.map((c) => [c.id, c]));
  const clv = customers.map((c) => {
    const r = clvById.get(c.customer_id);
    return { pAlive: r?.pAlive ?? 1, expectedPurchases: r?.expectedPurchases ?? 0, clv: r?.clv ?? 0 };
  });
  // Expected purchases in the window from BG/NBD's 52-week figure, as P(at least one) under Poisson arrivals.
  const horizonShare = options.attributionDays / 7 / 52;
  const baselinePurchase = Float64Array.from(clv, (c) => 1 - Math.exp(-c.expectedPurchases * horizonShare));

  // Churn: a time split, trained on features 90 days ago and what happened since.
  const cutoff = new Date(asOf.getTime() - 90 * DAY);
  const past = computeFeatureMatrix(histories, cutoff);
  const bought = new Set<string>();
  const hadOrders = new Set<string>();
  for (const h of histories) {
    for (const o of h.orders) {
      const t = new Date(o.ordered_at).getTime();
      if (o.status !== "completed") continue;
      if (t < cutoff.getTime()) hadOrders.add(h.customer.customer_id);
      else if (t < asOf.getTime()) bought.add(h.customer.customer_id);
    }
  }
  const trainRows: Float64Array[] = [];
  const labels: number[] = [];
  past.customer_ids.forEach((id, i) => {
    if (!hadOrders.has(id)) return;
    trainRows.push(past.values.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT));
    labels.push(bought.has(id) ? 0 : 1);
  });
  let churn = new Float64Array(customers.length).fill(0.5);
  let churnAuc: number | null = null;
  if (labels.length >= 50 && labels.some((l) => l === 1) && labels.some((l) => l === 0)) {
    const model = trainChurnModel({ features: trainRows, labels, seed: 7 });
    churnAuc = auc(scoreChurn(model, trainRows), labels);
    const rows = customers.map((_, i) => features.values.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT));
    churn = Float64Array.from(scoreChurn(model, rows));
  }
  const consents = await marketingConsents(db, asOf);
  const consented = customers.map((c) => consents.get(c.customer_id) ?? new Set<string>());
  return { asOf, customers, index, features, fatigue, clv, churn, churnAuc, consented, baselinePurchase, seconds: (Date.now() - started) / 1000 };
}
