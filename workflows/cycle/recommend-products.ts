import { skuLinesBetween } from "../../store/order-lines-repo.js";
import type { TargetRow } from "../../store/targets-repo.js";
import { fitRecommender, recommendConfigSchema, recommendFor } from "../../tools/recommend.js";
import { auditToolCall } from "./audit-helpers.js";
import type { CycleDeps } from "./deps.js";

/** The recommender learns from this much order history before the cycle's as-of. */
const LOOKBACK_DAYS = 365;
/** EASE over the most-bought SKUs (it inverts an items × items matrix; 1,000 SKUs take a few seconds). */
const CONFIG = recommendConfigSchema.parse({ method: "ease", k: 1, maxItems: 1000 });

/**
 * Fills the product slot of every cross-sell contact: the best SKU the customer has not bought yet
 * (tools/recommend.ts, EASE on the last year of order lines), kept on the target for the copy's
 * {{product}}. Audited as one tool call: the method, what it learned from, how many were filled.
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
  const lines = await skuLinesBetween(deps.db, new Date(asOf.getTime() - LOOKBACK_DAYS * 86_400_000), asOf);
  const model = fitRecommender(lines, CONFIG);
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
    { method: CONFIG.method, lambda: CONFIG.lambda, lookbackDays: LOOKBACK_DAYS, lines: lines.length, customers: crossSell.length },
    { skus: model.skus.length, fromModel, fromPopularity: crossSell.length - fromModel },
    `products for ${crossSell.length} cross-sell contacts: ${fromModel} from their own purchases (EASE), the rest the best sellers`,
    performance.now() - started,
  );
}
