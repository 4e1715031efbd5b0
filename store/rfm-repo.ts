import type { Db } from "./db.js";

export interface RfmBand {
  /** Classic RFM label from the recency and frequency quintiles (5 = best). */
  label: string;
  customers: number;
  avgRecencyDays: number;
  avgOrders: number;
  avgNetSpend: number;
  spendShare: number;
}

export interface RfmSummary {
  asOf: string;
  customers: number;
  buyers: number;
  orders: number;
  netRevenue: number;
  bands: RfmBand[];
}

/**
 * Recency, frequency and monetary value per customer as of a date (completed lines, returns
 * subtracted), scored in quintiles and grouped into the usual RFM bands.
 */
export async function rfmSummary(db: Db, asOf: Date): Promise<RfmSummary> {
  const { rows } = await db.pool.query<{
    label: string;
    customers: number;
    recency: number;
    orders: number;
    spend: number;
    total_spend: number;
  }>(
    `WITH per_order AS (
       SELECT o.customer_id, o.order_id, o.ordered_at,
              sum(CASE WHEN l.status = 'completed' THEN l.quantity * l.unit_price - l.discount
                       WHEN l.status = 'returned' THEN -abs(l.quantity * l.unit_price) ELSE 0 END) AS net
       FROM orders o JOIN order_lines l USING (order_id)
       WHERE o.ordered_at < $1
       GROUP BY o.customer_id, o.order_id, o.ordered_at),
     per_customer AS (
       SELECT customer_id, extract(epoch FROM ($1::timestamptz - max(ordered_at))) / 86400 AS recency,
              count(*) AS orders, sum(net) AS spend
       FROM per_order GROUP BY customer_id),
     scored AS (
       SELECT *, ntile(5) OVER (ORDER BY recency DESC) AS r, ntile(5) OVER (ORDER BY orders, spend) AS f FROM per_customer),
     labelled AS (
       SELECT *, CASE
         WHEN r >= 4 AND f >= 4 THEN 'Champions'
         WHEN r >= 3 AND f >= 3 THEN 'Loyal'
         WHEN r >= 4 AND f <= 2 THEN 'Recent'
         WHEN r <= 2 AND f >= 4 THEN 'Cannot lose them'
         WHEN r <= 2 AND f >= 2 THEN 'At risk'
         WHEN r = 3 THEN 'Needs attention'
         ELSE 'Hibernating' END AS label
       FROM scored)
     SELECT label, count(*)::int AS customers, avg(recency)::float8 AS recency, avg(orders)::float8 AS orders,
            avg(spend)::float8 AS spend, sum(sum(spend)) OVER ()::float8 AS total_spend
     FROM labelled GROUP BY label ORDER BY avg(spend) DESC`,
    [asOf.toISOString()],
  );
  const totals = await db.pool.query<{ customers: number; orders: number }>(
    "SELECT (SELECT count(*) FROM customers)::int AS customers, (SELECT count(*) FROM orders WHERE ordered_at < $1)::int AS orders",
    [asOf.toISOString()],
  );
  const total = rows[0]?.total_spend ?? 0;
  return {
    asOf: asOf.toISOString(),
    customers: totals.rows[0]!.customers,
    buyers: rows.reduce((n, r) => n + r.customers, 0),
    orders: totals.rows[0]!.orders,
    netRevenue: total,
    bands: rows.map((r) => ({
      label: r.label,
      customers: r.customers,
      avgRecencyDays: r.recency,
      avgOrders: r.orders,
      avgNetSpend: r.spend,
      spendShare: total ? (r.spend * r.customers) / total : 0,
    })),
  };
}
