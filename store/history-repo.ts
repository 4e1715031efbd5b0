import type { CustomerHistory } from "../tools/features.js";
import type { Db } from "./db.js";

export interface HistoryCustomer {
  customer_id: string;
  signup_at: Date;
  timezone: string;
  first_name: string | null;
  loyalty_tier: string;
  age_band: string | null;
  region: string | null;
}

export interface HistoryPage {
  customers: HistoryCustomer[];
  histories: CustomerHistory[];
}

/**
 * Streams customers with their orders, events and message responses from before `asOf`, a page of
 * customers at a time in id order (keyset pagination), so 1M customers never sit in memory at once.
 */
export async function* loadHistories(db: Db, asOf: Date, options: { pageSize?: number; lookbackDays?: number } = {}): AsyncGenerator<HistoryPage> {
  const pageSize = options.pageSize ?? 5000;
  const since = new Date(asOf.getTime() - (options.lookbackDays ?? 730) * 86_400_000);
  let after = "";
  for (;;) {
    const { rows: customers } = await db.pool.query<HistoryCustomer>(
      `SELECT customer_id, signup_at, timezone, first_name, loyalty_tier, age_band, region FROM customers
       WHERE customer_id > $1 AND signup_at < $2 ORDER BY customer_id LIMIT $3`,
      [after, asOf, pageSize],
    );
    if (customers.length === 0) return;
    const first = customers[0]!.customer_id;
    const last = customers.at(-1)!.customer_id;
    const range = [first, last, asOf, since];
    const [orders, events, responses] = await Promise.all([
      db.pool.query<{ customer_id: string; order_id: string; ordered_at: Date; category: string; quantity: number; unit_price: number; discount: number; margin: number | null; status: "completed" | "returned" | "cancelled" }>(
        `SELECT o.customer_id, o.order_id, o.ordered_at, l.category, l.quantity, l.unit_price, l.discount, l.margin, l.status
         FROM orders o JOIN order_lines l USING (order_id)
         WHERE o.customer_id BETWEEN $1 AND $2 AND o.ordered_at < $3 AND o.ordered_at >= $4`,
        range,
      ),
      db.pool.query<{ customer_id: string; occurred_at: Date }>(
        `SELECT customer_id, occurred_at FROM events WHERE customer_id BETWEEN $1 AND $2 AND occurred_at < $3 AND occurred_at >= $4`,
        range,
      ),
      db.pool.query<{ customer_id: string; message_id: string; channel: string; type: "delivered" | "open" | "click" | "conversion" | "unsubscribe" | "bounce"; occurred_at: Date }>(
        `SELECT customer_id, message_id, channel, type, occurred_at FROM message_responses
         WHERE customer_id BETWEEN $1 AND $2 AND occurred_at < $3 AND occurred_at >= $4`,
        range,
      ),
    ]);
    const byId = new Map<string, CustomerHistory & { orders: CustomerHistory["orders"][number][]; events: { occurred_at: Date }[]; responses: NonNullable<CustomerHistory["responses"]>[number][] }>();
    for (const c of customers) byId.set(c.customer_id, { customer: c, orders: [], events: [], responses: [] });
    for (const o of orders.rows) byId.get(o.customer_id)?.orders.push({ ...o, margin: o.margin ?? undefined });
    for (const e of events.rows) byId.get(e.customer_id)?.events.push(e);
    for (const r of responses.rows) byId.get(r.customer_id)?.responses.push(r);
    yield { customers, histories: [...byId.values()] };
    after = last;
  }
}

export interface ContactData {
  customerId: string;
  consents: { channel: string; purpose: string; status: string; recordedAt: Date; source: string | null }[];
  suppressions: { channel: string; reason: string; addedAt: Date }[];
  sends: { channel: string; at: Date }[];
  lastConversionAt: Date | null;
}

/** What eligibility needs per customer: consent history, suppressions, recent sends, last conversion. */
export async function loadContactData(db: Db, customerIds: readonly string[], asOf: Date, windowDays = 7): Promise<Map<string, ContactData>> {
  const out = new Map<string, ContactData>();
  for (const id of customerIds) out.set(id, { customerId: id, consents: [], suppressions: [], sends: [], lastConversionAt: null });
  if (customerIds.length === 0) return out;
  const since = new Date(asOf.getTime() - windowDays * 86_400_000);
  const [consents, suppressions, sends, conversions] = await Promise.all([
    db.pool.query<{ customer_id: string; channel: string; purpose: string; status: string; recorded_at: Date; source: string | null }>(
      "SELECT customer_id, channel, purpose, status, recorded_at, source FROM consents WHERE customer_id = ANY($1) AND recorded_at <= $2",
      [customerIds, asOf],
    ),
    db.pool.query<{ customer_id: string; channel: string; reason: string; added_at: Date }>(
      "SELECT customer_id, channel, reason, added_at FROM suppressions WHERE customer_id = ANY($1) AND added_at <= $2",
      [customerIds, asOf],
    ),
    db.pool.query<{ customer_id: string; channel: string; at: Date }>(
      `SELECT customer_id, channel, coalesce(sent_at, created_at) AS at FROM messages WHERE customer_id = ANY($1) AND coalesce(sent_at, created_at) >= $2
       UNION ALL
       SELECT customer_id, channel, occurred_at FROM message_responses WHERE customer_id = ANY($1) AND type = 'delivered' AND occurred_at >= $2 AND occurred_at <= $3`,
      [customerIds, since, asOf],
    ),
    db.pool.query<{ customer_id: string; at: Date }>(
      "SELECT customer_id, max(ordered_at) AS at FROM orders WHERE customer_id = ANY($1) AND ordered_at <= $2 GROUP BY customer_id",
      [customerIds, asOf],
    ),
  ]);
  for (const r of consents.rows) out.get(r.customer_id)?.consents.push({ channel: r.channel, purpose: r.purpose, status: r.status, recordedAt: r.recorded_at, source: r.source });
  for (const r of suppressions.rows) out.get(r.customer_id)?.suppressions.push({ channel: r.channel, reason: r.reason, addedAt: r.added_at });
  for (const r of sends.rows) out.get(r.customer_id)?.sends.push({ channel: r.channel, at: r.at });
  for (const r of conversions.rows) {
    const c = out.get(r.customer_id);
    if (c) c.lastConversionAt = r.at;
  }
  return out;
}

/** Categories marked out of stock. */
export async function outOfStockCategories(db: Db): Promise<string[]> {
  const { rows } = await db.pool.query<{ category: string }>("SELECT category FROM inventory WHERE NOT in_stock ORDER BY category");
  return rows.map((r) => r.category);
}

/** Channels each customer has a granted marketing consent on, as of a time (latest record wins; ties go to revoked). */
export async function marketingConsents(db: Db, asOf: Date): Promise<Map<string, Set<string>>> {
  const { rows } = await db.pool.query<{ customer_id: string; channel: string }>(
    `SELECT customer_id, channel FROM (
       SELECT DISTINCT ON (customer_id, channel) customer_id, channel, status FROM consents
       WHERE purpose = 'marketing' AND recorded_at <= $1
       ORDER BY customer_id, channel, recorded_at DESC, status DESC) c
     WHERE status = 'granted'`,
    [asOf],
  );
  const out = new Map<string, Set<string>>();
  for (const r of rows) {
    let s = out.get(r.customer_id);
    if (!s) out.set(r.customer_id, (s = new Set()));
    s.add(r.channel);
  }
  return out;
}
