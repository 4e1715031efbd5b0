import { groundTruth } from "../sim/ground-truth.js";
import { RowSink } from "../sim/sink.js";
import { World } from "../sim/world.js";
import { fitRecommender, recommendConfigSchema, recommendFor, type OrderLine, type RecommendMethod } from "../tools/recommend.js";

/**
 * The cross-sell recommender on a time split of the simulated retailer: models learn from the 12
 * months of history, and are scored on the SKUs each customer buys for the first time in the weeks
 * after it. recall@k = hits ÷ min(k, new SKUs bought), averaged over customers with at least one;
 * hit rate@k = share of those customers with at least one hit. Against the popularity baseline.
 * Because the simulator knows each customer's taste, the eval also reports the true fit of each
 * method's first recommendation (0.5 wrong to 1.5 right, see sim/treatment-effect.ts productFit) and
 * the true incremental purchases a no-discount cross-sell e-mail naming it would bring per 1,000
 * consented customers.
 */

export interface RecommendSimOptions {
  customers?: number;
  seed?: number;
  /** Length of the test period after history. */
  weeks?: number;
  k?: number;
  /** EASE's L2 penalty. */
  lambda?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface RecommendMethodResult {
  method: RecommendMethod;
  recall: number;
  hitRate: number;
  /** Mean true product fit of the first recommendation. */
  trueFit: number;
  /** True incremental purchases per 1,000 consented customers of a cross-sell e-mail naming the first recommendation. */
  incrementalPer1000: number;
  fitSeconds: number;
}

export interface RecommendSimResult {
  customers: number;
  seed: number;
  weeks: number;
  k: number;
  trainLines: number;
  testLines: number;
  /** Customers with history and at least one new SKU in the test period: the ones scored. */
  evaluated: number;
  items: number;
  methods: RecommendMethodResult[];
  seconds: number;
}

const METHODS: readonly RecommendMethod[] = ["popularity", "cooccurrence", "ease"];
const DAY_MS = 86_400_000;

const toLines = (rows: RowSink["orders"]): OrderLine[] =>
  rows.flatMap((o) => (o.status !== "cancelled" && o.sku ? [{ customerId: o.customer_id, sku: o.sku, category: o.category ?? "" }] : []));

export async function evaluateRecommendOnSim(options: RecommendSimOptions = {}): Promise<RecommendSimResult> {
  const started = performance.now();
  const customers = options.customers ?? 5000;
  const seed = options.seed ?? 7;
  const weeks = options.weeks ?? 8;
  const k = options.k ?? 10;
  const history = new RowSink();
  const world = await World.create({ customers, seed }, { history: { sink: history }, onProgress: options.onProgress });
  const truth = groundTruth(world);
  // Truth is read at the split, before the test period moves the world on.
  const consented = world.customerIds().filter((id) => truth.hasConsent(id, "email"));
  const train = toLines(history.orders);
  const test = toLines(world.step({ to: new Date(world.now.getTime() + weeks * 7 * DAY_MS) }).orders);

  const seen = new Map<string, Set<string>>();
  for (const l of train) {
    const set = seen.get(l.customerId) ?? new Set<string>();
    set.add(l.sku);
    seen.set(l.customerId, set);
  }
  const fresh = new Map<string, Set<string>>();
  for (const l of test) {
    const before = seen.get(l.customerId);
    if (!before || before.has(l.sku)) continue;
    const set = fresh.get(l.customerId) ?? new Set<string>();
    set.add(l.sku);
    fresh.set(l.customerId, set);
  }

  const methods: RecommendMethodResult[] = [];
  let items = 0;
  for (const method of METHODS) {
    const config = recommendConfigSchema.parse({ method, k, ...(options.lambda !== undefined ? { lambda: options.lambda } : {}) });
    const t0 = performance.now();
    const model = fitRecommender(train, config);
    const fitSeconds = (performance.now() - t0) / 1000;
    items = model.skus.length;
    let recall = 0;
    let hits = 0;
    for (const [id, bought] of fresh) {
      const got = recommendFor(model, id, config).items.filter((i) => bought.has(i.sku)).length;
      recall += got / Math.min(k, bought.size);
      if (got > 0) hits++;
    }
    let fit = 0;
    let incremental = 0;
    for (const id of consented) {
      const top = recommendFor(model, id, { ...config, k: 1 }).items[0]?.sku;
      if (top === undefined) continue;
      fit += truth.productFit(id, top);
      incremental += truth.expectedEffect({ customerId: id, strategy: "cross_sell", channel: "email", offerDepth: 0, productSku: top });
    }
    methods.push({
      method,
      recall: recall / Math.max(1, fresh.size),
      hitRate: hits / Math.max(1, fresh.size),
      trueFit: fit / Math.max(1, consented.length),
      incrementalPer1000: (1000 * incremental) / Math.max(1, consented.length),
      fitSeconds,
    });
  }
  return {
    customers,
    seed,
    weeks,
    k,
    trainLines: train.length,
    testLines: test.length,
    evaluated: fresh.size,
    items,
    methods,
    seconds: (performance.now() - started) / 1000,
  };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export function formatRecommendOnSim(r: RecommendSimResult): string {
  const base = r.methods.find((m) => m.method === "popularity");
  const rows = r.methods.map((m) => {
    const vs = base && m !== base && base.recall > 0 ? ` (${(m.recall / base.recall).toFixed(2)}x)` : "";
    return `${m.method.padEnd(13)} ${pct(m.recall).padStart(8)}${vs.padEnd(9)} ${pct(m.hitRate).padStart(8)} ${m.trueFit.toFixed(3).padStart(8)} ${m.incrementalPer1000.toFixed(2).padStart(12)} ${m.fitSeconds.toFixed(2).padStart(7)}s`;
  });
  return [
    `Cross-sell recommendations on the simulator (${r.customers} customers, seed ${r.seed}): learn from 12 months, score on the next ${r.weeks} weeks`,
    `${r.trainLines} training lines, ${r.testLines} test lines, ${r.items} SKUs; ${r.evaluated} customers bought a SKU new to them`,
    `method        recall@${r.k}            hit@${r.k}  true fit  incr./1000  fit time`,
    ...rows,
    "true fit: ground-truth fit of the first recommendation (0.5 wrong .. 1.5 right); incr./1000: true extra purchases per 1,000",
    `consented customers from a no-discount cross-sell e-mail naming it. ${r.seconds.toFixed(1)} s in all.`,
  ].join("\n");
}
