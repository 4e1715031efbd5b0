import { skuBasketPages, skuBuyersBetween } from "../../store/order-lines-repo.js";
import type { TargetRow } from "../../store/targets-repo.js";
import { addToGram, recommendConfigSchema, recommenderFromGram, recommenderVocabulary, recommendFor } from "../../tools/recommend.js";
import { auditToolCall } from "./audit-helpers.js";
import type { CycleDeps } from "./deps.js";

/** The recommender learns from this much order history before the cycle's as-of. */
const LOOKBACK_DAYS = 365;
/** EASE over the most-bought SKUs (it inverts an items × items matrix; 1,000 SKUs take a few seconds). */
const CONFIG = recommendConfigSchema.parse({ method: "ease", k: 1, maxItems: 1000 });

/**
 * Fills the product slot of every cross-sell contact: the best SKU the customer has not bought yet
 * (tools/recommend.ts, EASE on the last year of order lines, the baskets built in the database and
 * streamed), kept on the target for the copy's {{product}}. Audited as one tool call: the method,
 * what it learned from, how many were filled.
 */
export async function attachRecommendations(
  deps: Pick<CycleDeps, "db" | "audit" | "actor">,
  cycleId: string,
  asOf: Date,
  targets: TargetRow[],
): Promise<void> {
  const crossSell = targets.filter((t) => t.strategy === "cross_sell" && t.decision === "contact");
  if (crossSell.length === 0) return;
  const started = performance.now();
  const from = new Date(asOf.getTime() - LOOKBACK_DAYS * 86_400_000);
  // The database counts each SKU's buyers and groups each customer's lines into a basket; the model
  // adds the baskets up a page at a time and keeps only the cross-sell contacts' own.
  const vocab = recommenderVocabulary(await skuBuyersBetween(deps.db, from, asOf), CONFIG.maxItems);
  const n = vocab.skus.length;
  const gram = new Float64Array(n * n);
  const wanted = new Set(crossSell.map((t) => t.customerId));
  const baskets = new Map<string, number[]>();
  let buyers = 0;
  for await (const page of skuBasketPages(deps.db, from, asOf, vocab.skus)) {
    for (const b of page) {
      addToGram(gram, n, b.items);
      if (wanted.has(b.customerId)) baskets.set(b.customerId, b.items);
    }
    buyers += page.length;
  }
  const model = recommenderFromGram(vocab, gram, baskets, CONFIG);
  let fromModel = 0;
  for (const t of crossSell) {
    const r = recommendFor(model, t.customerId, CONFIG);
    t.recommendedSku = r.items[0]?.sku ?? null;
    if (r.source === "model") fromModel++;
  }
  await auditToolCall(
    deps,
    cycleId,
    "recommend",
    { method: CONFIG.method, lambda: CONFIG.lambda, lookbackDays: LOOKBACK_DAYS, buyers, customers: crossSell.length },
    { skus: model.skus.length, fromModel, fromPopularity: crossSell.length - fromModel },
    `products for ${crossSell.length} cross-sell contacts: ${fromModel} from their own purchases (EASE), the rest the best sellers`,
    performance.now() - started,
  );
}
