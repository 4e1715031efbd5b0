import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { InputError } from "../core/errors.js";
import { expectedPurchases } from "../tools/clv.js";
import { evaluateClvOnCdnow, type ClvCdnowReport } from "./clv-cdnow.js";
import { evaluateSimulator, type SimulatorEvaluation } from "./sim-evals.js";
import { defaultHillstromPath, evaluateUpliftHillstrom, type UpliftHillstromResult } from "./uplift-hillstrom.js";

/**
 * `pulse eval all` (= `npm run eval`): every decision tool's evaluation in one run and one table.
 * Full: CDNOW sample, Hillstrom train.csv (30% held out), simulator at 50,000 customers.
 * Fast (CI regression checks): CDNOW sample, the bundled 3,000-row Hillstrom sample, 5,000 customers.
 */

export const defaultCdnowPath = fileURLToPath(new URL("./data/cdnow/CDNOW_sample.txt", import.meta.url));
export const hillstromSamplePath = fileURLToPath(new URL("./data/hillstrom/sample.csv", import.meta.url));

export const DEFAULT_SIM_CUSTOMERS = 50_000;
export const FAST_SIM_CUSTOMERS = 5_000;
export const DEFAULT_SIM_SEED = 7;

/** Fader, Hardie & Lee (2005) on the CDNOW sample. */
export const PUBLISHED_CDNOW = {
  r: 0.243,
  alpha: 4.414,
  a: 0.793,
  b: 2.426,
  logLikelihood: -9582.4,
  conditionalExpectation: 1.226,
} as const;

export interface EvalAllOptions {
  fast?: boolean;
  /** Simulator customers; default 50,000 (5,000 with `fast`). */
  customers?: number;
  seed?: number;
  cdnowPath?: string;
  hillstromPath?: string;
  /** Called as each section starts (the CLI shows progress on stderr). */
  onSection?: (name: string) => void;
}

export interface EvalAllRow {
  tool: string;
  data: string;
  metric: string;
  value: string;
  /** Published figure, target or baseline to compare with. */
  reference: string;
  /** Wall time of the whole evaluation, on its first row only. */
  seconds: number | null;
}

export interface EvalAllReport {
  mode: "full" | "fast";
  clv: Omit<ClvCdnowReport, "rows"> & { conditionalExpectation: number; seconds: number };
  hillstrom: UpliftHillstromResult & { seconds: number };
  simulator: SimulatorEvaluation;
  rows: EvalAllRow[];
  totalSeconds: number;
}

const f = (v: number, digits = 3) => (Number.isFinite(v) ? v.toFixed(digits) : "n/a");
const pct = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : "n/a");

async function timed<T>(fn: () => Promise<T> | T): Promise<{ value: T; seconds: number }> {
  const t0 = performance.now();
  const value = await fn();
  return { value, seconds: (performance.now() - t0) / 1000 };
}

export async function runEvalAll(options: EvalAllOptions = {}): Promise<EvalAllReport> {
  const started = performance.now();
  const fast = options.fast ?? false;
  const customers = options.customers ?? (fast ? FAST_SIM_CUSTOMERS : DEFAULT_SIM_CUSTOMERS);
  const seed = options.seed ?? DEFAULT_SIM_SEED;
  const hillstromPath = options.hillstromPath ?? (fast ? hillstromSamplePath : defaultHillstromPath);
  if (!existsSync(hillstromPath)) {
    throw new InputError(
      `Hillstrom data not found at ${hillstromPath}: the full evaluation reads ../shared/data/hillstrom/train.csv next to the repository (run with --fast to use the bundled sample)`,
    );
  }

  options.onSection?.("CLV on CDNOW");
  const clvRun = await timed(() => evaluateClvOnCdnow(options.cdnowPath ?? defaultCdnowPath));
  const { rows: _rows, ...clvSummary } = clvRun.value;
  const conditionalExpectation = expectedPurchases(clvSummary.bgnbd.params, { x: 2, tx: 30.43, T: 38.86 }, 39);
  const clv = { ...clvSummary, conditionalExpectation, seconds: clvRun.seconds };

  options.onSection?.("uplift on Hillstrom");
  const hsRun = await timed(() => evaluateUpliftHillstrom({ path: hillstromPath, treatment: "any", outcome: "visit" }));
  const hillstrom = { ...hsRun.value, seconds: hsRun.seconds };

  options.onSection?.(`simulator (${customers} customers, seed ${seed})`);
  const simulator = await evaluateSimulator({ customers, seed });

  return {
    mode: fast ? "fast" : "full",
    clv,
    hillstrom,
    simulator,
    rows: tableRows(clv, hillstrom, simulator),
    totalSeconds: (performance.now() - started) / 1000,
  };
}

function tableRows(clv: EvalAllReport["clv"], hs: EvalAllReport["hillstrom"], sim: SimulatorEvaluation): EvalAllRow[] {
  const rows: EvalAllRow[] = [];
  const section = (tool: string, data: string, seconds: number, items: [string, string, string][]) =>
    items.forEach(([metric, value, reference], i) =>
      rows.push({ tool, data, metric, value, reference, seconds: i === 0 ? seconds : null }),
    );

  const p = clv.bgnbd.params;
  const P = PUBLISHED_CDNOW;
  section("CLV (BG/NBD)", `CDNOW ${clv.customers} cust.`, clv.seconds, [
    ["r / alpha / a / b", `${f(p.r)} / ${f(p.alpha)} / ${f(p.a)} / ${f(p.b)}`, `${P.r} / ${P.alpha} / ${P.a} / ${P.b}`],
    ["log-likelihood", f(clv.bgnbd.logLikelihood, 1), String(P.logLikelihood)],
    ["E[X(39) | x=2, t_x=30.43, T=38.86]", f(clv.conditionalExpectation), String(P.conditionalExpectation)],
    [
      "holdout repeat purchases pred / actual",
      `${f(clv.holdout.predictedPurchases, 0)} / ${clv.holdout.actualPurchases}`,
      `${clv.horizonWeeks}-week holdout`,
    ],
    ["holdout MAE per customer", f(clv.holdout.meanAbsoluteError), `RMSE ${f(clv.holdout.rootMeanSquaredError)}`],
  ]);

  const by = (name: string) => hs.methods.find((m) => m.name === name);
  const random = by("random");
  const response = by("response");
  const hsItems: [string, string, string][] = [];
  for (const m of hs.methods.filter((x) => x.name !== "random" && x.name !== "response")) {
    hsItems.push([
      `${m.name}: Qini / kept@30 / kept@50`,
      `${f(m.qini, 4)} / ${pct(m.kept.top30)} / ${pct(m.kept.top50)}`,
      `response ${f(response?.qini ?? Number.NaN, 4)}`,
    ]);
  }
  if (response)
    hsItems.push([
      "response-only: Qini / kept@30 / kept@50",
      `${f(response.qini, 4)} / ${pct(response.kept.top30)} / ${pct(response.kept.top50)}`,
      "baseline",
    ]);
  if (random)
    hsItems.push([
      "random (20 draws): Qini / kept@30 / kept@50",
      `${f(random.qini, 4)} / ${pct(random.kept.top30)} / ${pct(random.kept.top50)}`,
      `sd ${f(random.qiniSd ?? Number.NaN, 4)}`,
    ]);
  hsItems.push([
    "held-out avg effect (any e-mail, visit)",
    `${(hs.testAverageEffect * 100).toFixed(2)} pp`,
    `${hs.trainRows} train / ${hs.testRows} test`,
  ]);
  section("Uplift", `Hillstrom ${hs.trainRows + hs.testRows} rows`, hs.seconds, hsItems);

  const data = `sim ${sim.customers} cust. seed ${sim.seed}`;
  section("Simulator", data, sim.simulateMs / 1000, [["history + features (in memory)", `${sim.customers} customers`, "12 months"]]);
  const s = sim.segments;
  section("Segments", data, s.ms / 1000, [
    [`archetype ARI (${s.features.length} features, rank-gauss, auto k)`, `${f(s.ari)} (k=${s.k})`, "target >= 0.6"],
    ["archetype ARI (all 47 features, log1p, auto k)", `${f(s.allFeaturesAri)} (k=${s.allFeaturesK})`, "tool default input"],
    ["supervised ceiling ARI (uses truth)", f(s.supervisedCeilingAri), "separability bound"],
  ]);
  const c = sim.churn;
  section("Churn", data, c.ms / 1000, [
    [`AUC, features T-${c.horizonDays}d -> no purchase in last ${c.horizonDays}d`, f(c.auc), `recency alone ${f(c.recencyAuc)}`],
    ["AUC vs true not-alive at T (same model)", f(c.aliveAuc), `${pct(c.deadShare)} of ${c.alivePopulation} buyers dead`],
  ]);
  const u = sim.uplift;
  const t = u.treatment;
  const uItems: [string, string, string][] = [
    [
      `${t.strategy}/${t.channel}/${Math.round(t.offerDepth * 100)}%: mean true / observed effect`,
      `${(u.meanTrueEffect * 100).toFixed(2)} / ${(u.observedEffect * 100).toFixed(2)} pp`,
      `${u.treated} treated, ${pct(u.harmedShare)} harmed`,
    ],
  ];
  for (const m of u.methods) {
    uItems.push([
      `${m.name}: Spearman vs truth / true kept@30`,
      `${f(m.spearmanTruth)} / ${pct(m.trueEffectKeptTop30)}`,
      `Qini obs. ${f(m.qini, 4)}, kept@30 ${pct(m.keptTop30)}`,
    ]);
  }
  section("Uplift vs truth", data, u.ms / 1000, uItems);
  return rows;
}

export function formatEvalAll(report: EvalAllReport): string {
  const header: EvalAllRow = {
    tool: "tool",
    data: "data",
    metric: "metric",
    value: "value",
    reference: "reference / target",
    seconds: null,
  };
  const cells = (r: EvalAllRow) => [
    r.tool,
    r.data,
    r.metric,
    r.value,
    r.reference,
    r === header ? "time" : r.seconds === null ? "" : `${r.seconds.toFixed(1)} s`,
  ];
  const all = [header, ...report.rows];
  const widths = cells(header).map((_, j) => Math.max(...all.map((r) => cells(r)[j].length)));
  const line = (r: EvalAllRow) =>
    cells(r)
      .map((v, j) => (j === 5 ? v.padStart(widths[j]) : v.padEnd(widths[j])))
      .join("  ")
      .trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  const out = [`pulse eval all (${report.mode})`, line(header), rule];
  let previous = "";
  for (const r of report.rows) {
    if (previous !== "" && r.tool !== previous) out.push("");
    out.push(line(r));
    previous = r.tool;
  }
  out.push(rule, `total ${report.totalSeconds.toFixed(1)} s`);
  out.push(
    "Qini = area above random / perfect ranking's (0 random, 1 perfect); kept@k = share of all incremental outcomes kept treating only the top k%.",
    "Uplift vs truth: models trained on half the customers of a 50% randomised send, ranked on the other half; true kept@30 = share of the TRUE total effect in the top 30%.",
  );
  return out.join("\n");
}
