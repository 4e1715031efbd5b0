import type { Db } from "./db.js";

/** What a rule-based retailer knows of one customer when it plans a send: from its own data only. */
export interface AudienceRow {
  customerId: string;
  timezone: string;
  /** Channels with marketing consent in force and no suppression (channel or 'all'). */
  channels: string[];
  /** The classic RFM band (as rfmSummary labels them), null for a customer who never bought. */
  rfmBand: string | null;
}

/**
 * Every customer with their contactable channels and RFM band as of a time: the audience the
 * evaluation loop's rule-based baselines (blast, RFM calendar) send to. Consent as in
 * marketingConsents (latest record wins, ties go to revoked); RFM as in rfmSummary.
 */
export async function baselineAudience(db: Db, asOf: Date): Promise<AudienceRow[]> {
  const { rows } = await db.pool.query<{ customer_id: string; timezone: string | null; channels: string[] | null; band: string | null }>(
    `WITH consented AS (
       SELECT customer_id, channel FROM (
         SELECT DISTINCT ON (customer_id, channel) customer_id, channel, status FROM consents
         WHERE purpose = 'marketing' AND recorded_at <= $1
         ORDER BY customer_id, channel, recorded_at DESC, status DESC) c
       WHERE status = 'granted'
         AND NOT EXISTS (SELECT 1 FROM suppressions s
                         WHERE s.customer_id = c.customer_id AND s.channel IN (c.channel, 'all') AND s.added_at <= $1)),
     per_order AS (
       SELECT o.customer_id, o.order_id, max(o.ordered_at) AS ordered_at,
              sum(CASE WHEN l.status = 'completed' THEN l.quantity * l.unit_price - l.discount
                       WHEN l.status = 'returned' THEN -abs(l.quantity * l.unit_price) ELSE 0 END) AS net
       FROM orders o JOIN order_lines l USING (order_id)
       WHERE o.ordered_at < $1
       GROUP BY o.customer_id, o.order_id),
     per_customer AS (
       SELECT customer_id, extract(epoch FROM ($1::timestamptz - max(ordered_at))) / 86400 AS recency,
              count(*) AS orders, sum(net) AS spend
       FROM per_order GROUP BY customer_id),
     scored AS (
       SELECT customer_id, ntile(5) OVER (ORDER BY recency DESC) AS r, ntile(5) OVER (ORDER BY orders, spend) AS f FROM per_customer),
     banded AS (
       SELECT customer_id, CASE
         WHEN r >= 4 AND f >= 4 THEN 'Champions'
         WHEN r >= 3 AND f >= 3 THEN 'Loyal'
         WHEN r >= 4 AND f <= 2 THEN 'Recent'
         WHEN r <= 2 AND f >= 4 THEN 'Cannot lose them'
         WHEN r <= 2 AND f >= 2 THEN 'At risk'
         WHEN r = 3 THEN 'Needs attention'
         ELSE 'Hibernating' END AS band
       FROM scored)
     SELECT cu.customer_id, cu.timezone,
            (SELECT array_agg(channel ORDER BY channel) FROM consented k WHERE k.customer_id = cu.customer_id) AS channels,
            b.band
     FROM customers cu LEFT JOIN banded b USING (customer_id)
     ORDER BY cu.customer_id`,
    [asOf],
  );
  return rows.map((r) => ({ customerId: r.customer_id, timezone: r.timezone ?? "UTC", channels: r.channels ?? [], rfmBand: r.band }));
}

/** Strategy and offer depth of messages by id (to hand Pulse's sends to the simulated world). */
export async function messageTerms(
  db: Db,
  cycleId: string,
): Promise<Map<string, { strategy: string; offerDepth: number; productSku?: string }>> {
  const { rows } = await db.pool.query<{ message_id: string; strategy: string; offer_depth: number; product_sku: string | null }>(
    "SELECT message_id, strategy, offer_depth, content->>'productSku' AS product_sku FROM messages WHERE cycle_id = $1",
    [cycleId],
  );
  return new Map(
    rows.map((r) => [
      r.message_id,
      { strategy: r.strategy, offerDepth: Number(r.offer_depth), ...(r.product_sku ? { productSku: r.product_sku } : {}) },
    ]),
  );
}
