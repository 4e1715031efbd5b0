import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import { fitLogistic, predictLinear } from "../tools/uplift-linear.js";
import { evaluateUplift, type UpliftEvaluation } from "../tools/uplift-metrics.js";
import { predictUplift, trainUplift, type UpliftMethod } from "../tools/uplift.js";
import { hillstromUpliftRows, parseHillstromCsv, type HillstromOutcome, type HillstromTreatment } from "./hillstrom.js";

/**
 * Uplift on the Hillstrom e-mail test: a seeded held-out split (stratified by arm), train on one
 * part, rank the other by predicted uplift, and score the ranking with the Qini coefficient
 * (normalised by the perfect ranking; see tools/uplift-metrics.ts) and the share of all
 * incremental outcomes kept when treating only the top 30% / 50%.
 *
 * Baselines: `response` ranks by P(outcome | x) from one logistic model fitted on all training
 * rows, treated and control pooled, without the treatment flag (the usual "target likely
 * responders" practice); `random` ranks by seeded noise (expected Qini 0): the mean of 20 draws.
 */

export const defaultHillstromPath = fileURLToPath(new URL("../../shared/data/hillstrom/train.csv", import.meta.url));

export interface UpliftHillstromOptions {
  /** CSV text; read from `path` when absent. */
  csv?: string;
  path?: string;
  seed?: number;
  testShare?: number;
  treatment?: HillstromTreatment;
  outcome?: HillstromOutcome;
  methods?: UpliftMethod[];
  bags?: number;
}

export interface UpliftHillstromMethodResult extends UpliftEvaluation {
  name: string;
  trainMs: number;
  /** Random baseline only: standard deviation of the Qini over its draws. */
  qiniSd?: number;
}

export interface UpliftHillstromResult {
  dataset: string;
  treatment: HillstromTreatment;
  outcome: HillstromOutcome;
  seed: number;
  trainRows: number;
  testRows: number;
  /** Treated minus control mean outcome on the test part. */
  testAverageEffect: number;
  methods: UpliftHillstromMethodResult[];
  totalMs: number;
}

/** Seeded split that keeps each arm's share in both parts; both parts stay in input order. */
export function splitByArm<T extends { treated: boolean }>(rows: readonly T[], testShare: number, seed: number): { train: T[]; test: T[] } {
  const rng = xoroshiro128plus(seed);
  const inTest = new Uint8Array(rows.length);
  for (const arm of [true, false]) {
    const idx = rows.flatMap((r, i) => (r.treated === arm ? [i] : []));
    // Partial Fisher-Yates: the first `cut` positions become the test part.
    const cut = Math.round(idx.length * testShare);
    for (let i = 0; i < cut; i++) {
      const j = i + Math.floor(uniformFloat64(rng) * (idx.length - i));
      [idx[i], idx[j]] = [idx[j], idx[i]];
      inTest[idx[i]] = 1;
    }
  }
  return { train: rows.filter((_, i) => inTest[i] === 0), test: rows.filter((_, i) => inTest[i] === 1) };
}

export function evaluateUpliftHillstrom(options: UpliftHillstromOptions = {}): UpliftHillstromResult {
  const started = performance.now();
  const seed = options.seed ?? 42;
  const treatment = options.treatment ?? "any";
  const outcome = options.outcome ?? "visit";
  const path = options.path ?? defaultHillstromPath;
  const csv = options.csv ?? readFileSync(path, "utf8");
  const rows = hillstromUpliftRows(parseHillstromCsv(csv, options.csv === undefined ? path : "csv"), treatment, outcome);
  const { train, test } = splitByArm(rows, options.testShare ?? 0.3, seed);

  const testX = test.map((r) => r.features);
  const treated = test.map((r) => r.treated);
  const y = test.map((r) => r.outcome);
  const score = (name: string, fit: () => number[]): UpliftHillstromMethodResult => {
    const t0 = performance.now();
    const scores = fit();
    const trainMs = performance.now() - t0;
    return { name, trainMs, ...evaluateUplift(scores, treated, y) };
  };

  const methods: UpliftHillstromMethodResult[] = [];
  for (const method of options.methods ?? (["t-learner", "x-learner", "transformed-outcome"] as const)) {
    methods.push(score(method, () => predictUplift(trainUplift({ rows: train, method, seed, bags: options.bags ?? 1 }), testX)));
  }
  methods.push(
    score("response", () => {
      const binary = train.every((r) => r.outcome === 0 || r.outcome === 1);
      if (!binary) throw new RangeError("the response baseline needs a 0/1 outcome");
      return predictLinear(
        fitLogistic(
          train.map((r) => r.features),
          train.map((r) => r.outcome),
          { l2: 1 },
        ),
        testX,
      );
    }),
  );
  // One random draw is noisy on ~13k rows (its Qini spreads by about +-0.02), so the baseline is the
  // mean of 20 seeded draws, with their standard deviation as the noise level to compare against.
  const draws = Array.from({ length: 20 }, (_, d) => {
    const rng = xoroshiro128plus(seed * 31 + d);
    return evaluateUplift(
      test.map(() => uniformFloat64(rng)),
      treated,
      y,
    );
  });
  const avg = (f: (e: UpliftEvaluation) => number) => draws.reduce((a, e) => a + f(e), 0) / draws.length;
  const randomQini = avg((e) => e.qini);
  methods.push({
    name: "random",
    trainMs: 0,
    qini: randomQini,
    qiniArea: avg((e) => e.qiniArea),
    totalIncremental: draws[0].totalIncremental,
    kept: { top30: avg((e) => e.kept.top30), top50: avg((e) => e.kept.top50) },
    upliftAt: { top30: avg((e) => e.upliftAt.top30), top50: avg((e) => e.upliftAt.top50) },
    qiniSd: Math.sqrt(avg((e) => (e.qini - randomQini) ** 2)),
  });

  const mean = (arm: boolean) => {
    const v = test.filter((r) => r.treated === arm);
    return v.reduce((a, r) => a + r.outcome, 0) / Math.max(v.length, 1);
  };
  return {
    dataset: options.csv === undefined ? path : "csv",
    treatment,
    outcome,
    seed,
    trainRows: train.length,
    testRows: test.length,
    testAverageEffect: mean(true) - mean(false),
    methods,
    totalMs: performance.now() - started,
  };
}

const pct = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : "n/a");

export function formatUpliftHillstrom(result: UpliftHillstromResult): string {
  const lines = [
    `Hillstrom uplift: treatment ${result.treatment} vs No E-Mail, outcome ${result.outcome}, seed ${result.seed}`,
    `train ${result.trainRows} rows, held-out ${result.testRows} rows, held-out average effect ${(result.testAverageEffect * 100).toFixed(2)} pp`,
    "Qini = area above random / perfect ranking's; kept = share of all incremental outcomes kept treating only the top k%",
    "",
    `${"method".padEnd(20)}${"qini".padStart(9)}${"kept@30".padStart(10)}${"kept@50".padStart(10)}${"uplift@30".padStart(11)}${"train".padStart(10)}`,
  ];
  for (const m of result.methods) {
    lines.push(
      `${m.name.padEnd(20)}${m.qini.toFixed(4).padStart(9)}${pct(m.kept.top30).padStart(10)}${pct(m.kept.top50).padStart(10)}${pct(m.upliftAt.top30).padStart(11)}${`${Math.round(m.trainMs)} ms`.padStart(10)}`,
    );
  }
  const random = result.methods.find((m) => m.name === "random");
  if (random?.qiniSd !== undefined)
    lines.push("", `random: mean of 20 draws; their Qini standard deviation is ${random.qiniSd.toFixed(4)} (noise level of one ranking)`);
  lines.push(`total ${(result.totalMs / 1000).toFixed(1)} s`);
  return lines.join("\n");
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const seed = process.argv[2] === undefined ? undefined : Number(process.argv[2]);
  process.stdout.write(`${formatUpliftHillstrom(evaluateUpliftHillstrom({ seed }))}\n`);
}
