import type { StructuredToolInterface } from "@langchain/core/tools";
import { CholeskyDecomposition, Matrix } from "ml-matrix";
import { z } from "zod";
import { defineTool, toLangChainTool } from "./define-tool.js";

/**
 * Recommendations for cross-sell from order lines: which SKUs (and so which category) to put in a
 * customer's copy. Three scorers over the customer × SKU purchase matrix X (1 = bought at least once):
 * - `ease`: Steck's EASE (2019), the item-item weights B = I − P·diag(1/diag P) with
 *   P = (XᵀX + λI)⁻¹, a closed-form ridge regression of each item on all others with a zero diagonal;
 * - `cooccurrence`: cosine-normalised co-purchase counts XᵀX, diagonal zeroed;
 * - `popularity`: the baseline, the most-bought SKUs for everyone.
 * A customer's scores are the sum of the weight rows of what they bought; SKUs they already bought are
 * left out by default (a cross-sell brings something new). Customers with no lines get popularity.
 */

const customerIdField = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces");

export const RECOMMEND_METHODS = ["ease", "cooccurrence", "popularity"] as const;
export type RecommendMethod = (typeof RECOMMEND_METHODS)[number];

export const orderLineSchema = z.object({
  customerId: customerIdField,
  sku: z.string().min(1).max(64),
  category: z.string().min(1).max(64),
});
export type OrderLine = z.infer<typeof orderLineSchema>;

export const recommendConfigSchema = z.object({
  method: z.enum(RECOMMEND_METHODS).default("ease"),
  /** Recommendations per customer. */
  k: z.number().int().min(1).max(100).default(10),
  /** EASE's L2 penalty: larger shrinks weights of rarely co-bought pairs harder (hundreds suit thousands of customers). */
  lambda: z.number().positive().default(400),
  /** Only the most-bought SKUs enter the model (EASE inverts an items × items matrix). */
  maxItems: z.number().int().min(1).max(5000).default(2000),
  /** Leave out SKUs the customer already bought. */
  excludeSeen: z.boolean().default(true),
});
export type RecommendConfig = z.infer<typeof recommendConfigSchema>;
export type RecommendConfigInput = z.input<typeof recommendConfigSchema>;

export const recommendInputSchema = z.object({
  lines: z.array(orderLineSchema),
  /** Customers to recommend for; defaults to everyone with lines. */
  customerIds: z.array(customerIdField).optional(),
  config: recommendConfigSchema.prefault({}),
});
export type RecommendInput = z.input<typeof recommendInputSchema>;

export const recommendedItemSchema = z.object({ sku: z.string(), category: z.string(), score: z.number() });
export type RecommendedItem = z.infer<typeof recommendedItemSchema>;

export const customerRecommendationSchema = z.object({
  customerId: z.string(),
  items: z.array(recommendedItemSchema),
  /** The category of the best recommendation: what the copy's {{category}} names. */
  category: z.string().nullable(),
  /** `model` from the customer's own lines, `popularity` for a customer with none. */
  source: z.enum(["model", "popularity"]),
});
export type CustomerRecommendation = z.infer<typeof customerRecommendationSchema>;

export const recommendOutputSchema = z.object({
  method: z.enum(RECOMMEND_METHODS),
  /** SKUs in the model. */
  items: z.number().int().min(0),
  recommendations: z.array(customerRecommendationSchema),
});
export type RecommendOutput = z.infer<typeof recommendOutputSchema>;

/** A fitted recommender: the SKU vocabulary, per-customer baskets and the item-item weights. */
export interface RecommenderModel {
  method: RecommendMethod;
  skus: string[];
  categories: string[];
  /** Purchases per SKU (customers who bought it), in vocabulary order. */
  popularity: Float64Array;
  /** SKU indices each customer bought. */
  baskets: Map<string, number[]>;
  /** Row-major items × items weights (absent for popularity). */
  weights: Float64Array | null;
}

/** The SKUs a model scores: the most-bought first (ties by SKU id), each with its category and buyers. */
export interface RecommenderVocabulary {
  skus: string[];
  categories: string[];
  /** Customers who bought each SKU, in vocabulary order. */
  popularity: Float64Array;
  /** SKU → its position in `skus`. */
  index: Map<string, number>;
}

/** How many customers bought a SKU (each counted once), and its category. */
export interface SkuBuyers {
  sku: string;
  category: string;
  customers: number;
}

/** The `maxItems` most-bought SKUs, in order. Deterministic: ties in popularity break by SKU id. Pure. */
export function recommenderVocabulary(counts: Iterable<SkuBuyers>, maxItems: number): RecommenderVocabulary {
  const vocab = [...counts].sort((a, b) => b.customers - a.customers || (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0)).slice(0, maxItems);
  const skus = vocab.map((v) => v.sku);
  return {
    skus,
    categories: vocab.map((v) => v.category),
    popularity: Float64Array.from(vocab, (v) => v.customers),
    index: new Map(skus.map((sku, i) => [sku, i])),
  };
}

/**
 * Adds one customer's basket (vocabulary indices, each once) to the item-item Gram matrix XᵀX
 * (row-major, n × n): a model can be fitted from baskets streamed a page at a time, never all held.
 */
export function addToGram(gram: Float64Array, n: number, basket: readonly number[]): void {
  for (const i of basket) {
    const row = i * n;
    for (const j of basket) gram[row + j] += 1;
  }
}

/**
 * A model from its vocabulary and Gram matrix; `baskets` holds those of the customers it will be
 * asked about (vocabulary indices, ascending).
 */
export function recommenderFromGram(
  vocab: RecommenderVocabulary,
  gram: Float64Array,
  baskets: Map<string, number[]>,
  config: RecommendConfig,
): RecommenderModel {
  const n = vocab.skus.length;
  const weights = config.method === "popularity" ? null : itemWeights(config.method, gram, n, config.lambda);
  return { method: config.method, skus: vocab.skus, categories: vocab.categories, popularity: vocab.popularity, baskets, weights };
}

/** Fits the chosen scorer on order lines (the category of a SKU is that of its first line). Deterministic. */
export function fitRecommender(lines: readonly OrderLine[], config: RecommendConfig): RecommenderModel {
  const counts = new Map<string, SkuBuyers>();
  const bought = new Map<string, Set<string>>();
  for (const l of lines) {
    let set = bought.get(l.customerId);
    if (!set) bought.set(l.customerId, (set = new Set()));
    if (set.has(l.sku)) continue;
    set.add(l.sku);
    const c = counts.get(l.sku);
    if (c) c.customers++;
    else counts.set(l.sku, { sku: l.sku, category: l.category, customers: 1 });
  }
  const vocab = recommenderVocabulary(counts.values(), config.maxItems);
  const n = vocab.skus.length;
  const gram = new Float64Array(n * n);
  const baskets = new Map<string, number[]>();
  for (const [customerId, set] of bought) {
    const basket: number[] = [];
    for (const sku of set) {
      const i = vocab.index.get(sku);
      if (i !== undefined) basket.push(i);
    }
    basket.sort((a, b) => a - b);
    baskets.set(customerId, basket);
    if (config.method !== "popularity") addToGram(gram, n, basket);
  }
  return recommenderFromGram(vocab, gram, baskets, config);
}

function itemWeights(method: "ease" | "cooccurrence", g: Float64Array, n: number, lambda: number): Float64Array {
  if (n === 0) return g;
  if (method === "cooccurrence") {
    const w = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (i !== j && g[i * n + j] > 0) w[i * n + j] = g[i * n + j] / Math.sqrt(g[i * n + i] * g[j * n + j]);
      }
    }
    return w;
  }
  // XᵀX + λI is symmetric positive definite: ml-matrix factors it as L·Lᵀ.
  const a = new Matrix(n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a.set(i, j, g[i * n + j] + (i === j ? lambda : 0));
  const p = inverseFromCholesky(new CholeskyDecomposition(a).lowerTriangularMatrix.to1DArray(), n);
  const w = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) if (i !== j) w[i * n + j] = -p[i * n + j] / p[j * n + j];
  }
  return w;
}

/**
 * (L·Lᵀ)⁻¹ = L⁻ᵀ·L⁻¹ from the row-major Cholesky factor L. Why not CholeskyDecomposition.solve(I):
 * it walks the right-hand sides column by column through get/set and takes 13 s for 800 SKUs, where
 * these row-wise typed-array loops take well under one.
 */
function inverseFromCholesky(l: readonly number[], n: number): Float64Array {
  const x = new Float64Array(n * n); // L⁻¹, lower triangular, by forward substitution row by row
  for (let i = 0; i < n; i++) {
    const xi = i * n;
    x[xi + i] = 1;
    for (let k = 0; k < i; k++) {
      const f = l[xi + k];
      if (f === 0) continue;
      const xk = k * n;
      for (let j = 0; j <= k; j++) x[xi + j] -= f * x[xk + j];
    }
    const d = l[xi + i];
    for (let j = 0; j <= i; j++) x[xi + j] /= d;
  }
  const p = new Float64Array(n * n); // Σ over rows of L⁻¹ of their outer products: its lower half, then mirrored
  for (let i = 0; i < n; i++) {
    const xi = i * n;
    for (let r = 0; r <= i; r++) {
      const v = x[xi + r];
      if (v === 0) continue;
      const pr = r * n;
      for (let c = 0; c <= r; c++) p[pr + c] += v * x[xi + c];
    }
  }
  for (let r = 0; r < n; r++) for (let c = 0; c < r; c++) p[c * n + r] = p[r * n + c];
  return p;
}

/**
 * Top k of `scores` by value (ties by index), skipping `skip`: one pass keeping the best k in order
 * (k is a handful, the vocabulary a thousand; sorting it all was a quarter of a cycle's cross-sell).
 */
export function topK(scores: Float64Array, k: number, skip: ReadonlySet<number>): number[] {
  const best: number[] = [];
  if (k <= 0) return best;
  for (let i = 0; i < scores.length; i++) {
    if (skip.has(i)) continue;
    const v = scores[i]!;
    // Indices rise, so an equal score never goes before one already kept.
    if (best.length === k && !(v > scores[best[k - 1]!]!)) continue;
    let at = best.length === k ? k - 1 : best.length;
    while (at > 0 && v > scores[best[at - 1]!]!) {
      best[at] = best[at - 1]!;
      at--;
    }
    best[at] = i;
  }
  return best;
}

/** Recommendations for one customer from a fitted model. */
export function recommendFor(model: RecommenderModel, customerId: string, config: RecommendConfig): CustomerRecommendation {
  const n = model.skus.length;
  const basket = model.baskets.get(customerId) ?? [];
  const skip = new Set(config.excludeSeen ? basket : []);
  let scores = model.popularity;
  const source = basket.length > 0 && model.weights ? "model" : "popularity";
  if (source === "model" && model.weights) {
    scores = new Float64Array(n);
    for (const i of basket) {
      const row = i * n;
      for (let j = 0; j < n; j++) scores[j] += model.weights[row + j];
    }
  }
  const items = topK(scores, config.k, skip).map((i) => ({ sku: model.skus[i], category: model.categories[i], score: scores[i] }));
  return { customerId, items, category: items[0]?.category ?? null, source };
}

function recommendParsed(input: z.infer<typeof recommendInputSchema>): RecommendOutput {
  const model = fitRecommender(input.lines, input.config);
  const ids = input.customerIds ?? [...model.baskets.keys()];
  return {
    method: model.method,
    items: model.skus.length,
    recommendations: ids.map((id) => recommendFor(model, id, input.config)),
  };
}

export const recommendToolDefinition = defineTool({
  name: "recommend_products",
  description:
    "Cross-sell recommendations from order lines: per customer the top SKUs they have not bought (EASE, co-occurrence or popularity), " +
    "with the category of the best one, for the copy's product and category slots.",
  input: recommendInputSchema,
  output: recommendOutputSchema,
  fn: recommendParsed,
});

/** Recommends products per customer; validates input and output. */
export function recommend(input: RecommendInput): RecommendOutput {
  return recommendToolDefinition.run(input);
}

export interface RecommendToolDeps {
  config?: RecommendConfigInput;
  /** With a loader of the recent order lines the model learns from, the agent passes only customer ids. */
  loadLines?: () => Promise<OrderLine[]>;
}

export function createRecommendTool(deps: RecommendToolDeps = {}): StructuredToolInterface {
  const { loadLines } = deps;
  if (loadLines) {
    const schema = z.object({ customerIds: z.array(customerIdField).min(1).max(1000) });
    return toLangChainTool(recommendToolDefinition, {
      schema,
      adapt: async ({ customerIds }: z.infer<typeof schema>): Promise<RecommendInput> => ({
        lines: await loadLines(),
        customerIds,
        config: deps.config ?? {},
      }),
    });
  }
  const schema = z.object({ lines: z.array(orderLineSchema), customerIds: z.array(customerIdField).optional() });
  return toLangChainTool(recommendToolDefinition, {
    schema,
    adapt: (args: z.infer<typeof schema>): RecommendInput => ({ ...args, config: deps.config ?? {} }),
  });
}
