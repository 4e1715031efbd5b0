import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  addToGram,
  fitRecommender,
  recommendConfigSchema,
  recommenderFromGram,
  recommenderVocabulary,
  type OrderLine,
} from "../tools/recommend.js";
import { skuBasketPages, skuBuyersBetween } from "./order-lines-repo.js";
import { BACKENDS, createTestDb, type TestDb } from "./test-db.js";

const FROM = new Date("2025-01-01T00:00:00Z");
const TO = new Date("2025-07-01T00:00:00Z");

/** A small shop: 40 customers, 12 SKUs with a long tail, lines inside and outside the period, some cancelled, some without SKU. */
function shop(): { orders: [string, string, string][]; lines: [string, number, string | null, string, string][] } {
  let seed = 11;
  const rnd = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  const orders: [string, string, string][] = [];
  const lines: [string, number, string | null, string, string][] = [];
  for (let c = 0; c < 40; c++) {
    for (let o = 0; o < 1 + Math.floor(rnd() * 4); o++) {
      const orderId = `o${c}-${o}`;
      const day = Math.floor(rnd() * 240) - 30; // some before FROM, some after TO
      orders.push([orderId, `c${String(c).padStart(2, "0")}`, new Date(FROM.getTime() + day * 86_400_000).toISOString()]);
      for (let l = 1; l <= 1 + Math.floor(rnd() * 3); l++) {
        const k = Math.floor(rnd() ** 2 * 12);
        const status = rnd() < 0.1 ? "cancelled" : rnd() < 0.1 ? "returned" : "completed";
        lines.push([orderId, l, rnd() < 0.05 ? null : `SKU-${k}`, `cat${k % 4}`, status]);
      }
    }
  }
  return { orders, lines };
}

for (const backend of BACKENDS) {
  describe(`recommender lines from the database (${backend})`, () => {
    let t: TestDb;
    const data = shop();
    beforeAll(async () => {
      t = await createTestDb(backend);
      await t.db.pool.query(
        `INSERT INTO orders (order_id, customer_id, ordered_at, channel) SELECT o, c, at::timestamptz, 'web' FROM unnest($1::text[], $2::text[], $3::text[]) AS u(o, c, at)`,
        [data.orders.map((o) => o[0]), data.orders.map((o) => o[1]), data.orders.map((o) => o[2])],
      );
      await t.db.pool.query(
        `INSERT INTO order_lines (order_id, line_no, sku, category, quantity, unit_price, status)
         SELECT o, n, s, k, 1, 10, st FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[]) AS u(o, n, s, k, st)`,
        [0, 1, 2, 3, 4].map((f) => data.lines.map((l) => l[f])),
      );
    }, 120_000);
    afterAll(() => t.drop());

    /** The same lines as the recommender reads them from memory: in the period, with a SKU, not cancelled. */
    const inPeriod = (): OrderLine[] => {
      const orderOf = new Map(data.orders.map((o) => [o[0], o]));
      return data.lines
        .filter((l) => {
          const at = new Date(orderOf.get(l[0])![2]).getTime();
          return l[2] !== null && l[4] !== "cancelled" && at >= FROM.getTime() && at < TO.getTime();
        })
        .map((l) => ({ customerId: orderOf.get(l[0])![1], sku: l[2]!, category: l[3] }));
    };

    it("counts each SKU's buyers once per customer, and pages every customer's basket of the vocabulary once", async () => {
      const lines = inPeriod();
      const buyers = await skuBuyersBetween(t.db, FROM, TO);
      const expected = new Map<string, Set<string>>();
      for (const l of lines) expected.set(l.sku, (expected.get(l.sku) ?? new Set()).add(l.customerId));
      expect(new Map(buyers.map((b) => [b.sku, b.customers]))).toEqual(new Map([...expected].map(([sku, set]) => [sku, set.size])));

      const vocab = recommenderVocabulary(buyers, 8);
      const pages: { customerId: string; items: number[] }[][] = [];
      for await (const page of skuBasketPages(t.db, FROM, TO, vocab.skus, 7)) pages.push(page);
      expect(pages.length).toBeGreaterThan(3);
      const all = pages.flat();
      expect(new Set(all.map((b) => b.customerId)).size).toBe(all.length);
      for (const b of all) {
        const own = [...new Set(lines.filter((l) => l.customerId === b.customerId).map((l) => vocab.index.get(l.sku)))]
          .filter((i): i is number => i !== undefined)
          .sort((x, y) => x - y);
        expect(b.items).toEqual(own);
      }
    });

    it("a model fitted from the database's counts and baskets is the one fitted from the lines in memory", async () => {
      const config = recommendConfigSchema.parse({ method: "ease", k: 3, maxItems: 8, lambda: 5 });
      const fromLines = fitRecommender(inPeriod(), config);
      const vocab = recommenderVocabulary(await skuBuyersBetween(t.db, FROM, TO), config.maxItems);
      const gram = new Float64Array(vocab.skus.length ** 2);
      const baskets = new Map<string, number[]>();
      for await (const page of skuBasketPages(t.db, FROM, TO, vocab.skus, 5))
        for (const b of page) {
          addToGram(gram, vocab.skus.length, b.items);
          baskets.set(b.customerId, b.items);
        }
      const fromDb = recommenderFromGram(vocab, gram, baskets, config);
      expect(fromDb.skus).toEqual(fromLines.skus);
      expect(fromDb.categories).toEqual(fromLines.categories);
      expect(fromDb.popularity).toEqual(fromLines.popularity);
      expect(fromDb.weights).toEqual(fromLines.weights);
      // A customer whose lines are all outside the vocabulary has no basket row; in memory, an empty one.
      expect(new Map([...fromLines.baskets].filter(([, b]) => b.length > 0))).toEqual(fromDb.baskets);
    });
  });
}
