import type { Db } from "./db.js";

/** An order line as the recommender reads it: who bought which SKU, in which category. */
export interface SkuLine {
  customerId: string;
  sku: string;
  category: string;
}

/**
 * Order lines with a SKU placed in [from, to), cancelled ones left out: what the cross-sell
 * recommender learns from (one row per line; the recommender keeps distinct SKUs per customer).
 */
export async function skuLinesBetween(db: Db, from: Date, to: Date): Promise<SkuLine[]> {
  const { rows } = await db.pool.query<{ customer_id: string; sku: string; category: string }>(
    `SELECT o.customer_id, l.sku, l.category
     FROM orders o JOIN order_lines l ON l.order_id = o.order_id
     WHERE o.ordered_at >= $1 AND o.ordered_at < $2 AND l.sku IS NOT NULL AND l.status <> 'cancelled'
     ORDER BY o.customer_id, l.sku`,
    [from, to],
  );
  return rows.map((r) => ({ customerId: r.customer_id, sku: r.sku, category: r.category }));
}
