import type { Db } from "./db.js";

/** How many customers bought a SKU in a period (each once), and its category. */
export interface SkuBuyersRow {
  sku: string;
  category: string;
  customers: number;
}

// What the cross-sell recommender learns from: order lines with a SKU placed in [$1, $2), cancelled
// ones left out.
const RECOMMENDER_LINES = "o.ordered_at >= $1 AND o.ordered_at < $2 AND l.sku IS NOT NULL AND l.status <> 'cancelled'";

/** Every SKU bought in [from, to) with its buyers, counted in the database (a SKU with several categories: the least). */
export async function skuBuyersBetween(db: Db, from: Date, to: Date): Promise<SkuBuyersRow[]> {
  const { rows } = await db.pool.query<SkuBuyersRow>(
    `SELECT l.sku, min(l.category) AS category, count(DISTINCT o.customer_id)::int AS customers
     FROM orders o JOIN order_lines l ON l.order_id = o.order_id
     WHERE ${RECOMMENDER_LINES}
     GROUP BY l.sku`,
    [from, to],
  );
  return rows;
}

/** One customer's basket: the positions in `skus` of what they bought in the period, each once, ascending. */
export interface SkuBasket {
  customerId: string;
  items: number[];
}

/**
 * The baskets of every customer with lines in [from, to), restricted to `skus` (the recommender's
 * vocabulary), a page of customers at a time in id order: what a million customers bought is
 * aggregated in the database and never held at once. Each page is its own query (no snapshot across
 * pages, so a page may see orders ingested meanwhile; the embedded database's single connection is
 * free between pages).
 */
export async function* skuBasketPages(
  db: Db,
  from: Date,
  to: Date,
  skus: readonly string[],
  pageSize = 20_000,
): AsyncGenerator<SkuBasket[]> {
  if (!Number.isInteger(pageSize) || pageSize < 1) throw new RangeError(`page size must be a positive integer, got ${pageSize}`);
  if (skus.length === 0) return;
  let after = "";
  for (;;) {
    const ids = await db.pool.query<{ customer_id: string }>(
      `SELECT DISTINCT customer_id FROM orders WHERE customer_id > $1 ORDER BY customer_id LIMIT $2`,
      [after, pageSize],
    );
    if (ids.rows.length === 0) return;
    const first = ids.rows[0]!.customer_id;
    const last = ids.rows.at(-1)!.customer_id;
    const { rows } = await db.pool.query<{ customer_id: string; items: number[] }>(
      `SELECT o.customer_id, array_agg(DISTINCT v.idx::int - 1 ORDER BY v.idx::int - 1) AS items
       FROM orders o
       JOIN order_lines l ON l.order_id = o.order_id
       JOIN unnest($5::text[]) WITH ORDINALITY AS v(sku, idx) ON v.sku = l.sku
       WHERE ${RECOMMENDER_LINES} AND o.customer_id >= $3 AND o.customer_id <= $4
       GROUP BY o.customer_id
       ORDER BY o.customer_id`,
      [from, to, first, last, skus],
    );
    yield rows.map((r) => ({ customerId: r.customer_id, items: r.items }));
    if (ids.rows.length < pageSize) return;
    after = last;
  }
}
