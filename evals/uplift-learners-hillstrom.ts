import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { boostedUplift, type BoostedUpliftMethod } from "../tools/uplift-boosted.js";
import { evaluateUplift } from "../tools/uplift-metrics.js";
import { predictUplift, trainUplift, type UpliftMethod } from "../tools/uplift.js";
import { hillstromUpliftRows, parseHillstromCsv } from "./hillstrom.js";
import { defaultHillstromPath, splitByArm } from "./uplift-hillstrom.js";

/**
 * The linear uplift learners (tools/uplift.ts) against the gradient-boosted ones
 * (tools/uplift-boosted.ts) on the same Hillstrom splits (any e-mail vs none, visit; 30% held out,
 * stratified by arm), over several seeds: one split's kept@30 moves by several points from seed to
 * seed, so only the mean over seeds tells learners apart.
 */

export const learnerNames = ["linear t-learner", "linear x-learner", "boosted t-learner", "boosted x-learner"] as const;
export type LearnerName = (typeof learnerNames)[number];

export interface LearnerSplitResult {
  seed: number;
  learner: LearnerName;
  qini: number;
  keptTop30: number;
  keptTop50: number;
  trainMs: number;
}

export interface UpliftLearnersResult {
  dataset: string;
  seeds: number[];
  perSplit: LearnerSplitResult[];
  means: { learner: LearnerName; qini: number; keptTop30: number; keptTop50: number; trainMs: number; keptTop30Sd: number }[];
}

export interface UpliftLearnersOptions {
  csv?: string;
  path?: string;
  seeds?: number[];
  learners?: LearnerName[];
  onSplit?: (done: number, total: number) => void;
}

async function scoreWith(learner: LearnerName, train: ReturnType<typeof hillstromUpliftRows>, testX: number[][], seed: number) {
  const [family, method] = learner.split(" ") as ["linear" | "boosted", string];
  if (family === "linear") return predictUplift(trainUplift({ rows: train, method: method as UpliftMethod, seed }), testX);
  return (await boostedUplift({ rows: train, score: testX, method: method as BoostedUpliftMethod, seed })).uplift;
}

export async function evaluateUpliftLearners(options: UpliftLearnersOptions = {}): Promise<UpliftLearnersResult> {
  const path = options.path ?? defaultHillstromPath;
  const csv = options.csv ?? readFileSync(path, "utf8");
  const rows = hillstromUpliftRows(parseHillstromCsv(csv, options.csv === undefined ? path : "csv"), "any", "visit");
  const seeds = options.seeds ?? [42, 1, 2, 3, 4];
  const learners = options.learners ?? [...learnerNames];
  const perSplit: LearnerSplitResult[] = [];
  for (const [k, seed] of seeds.entries()) {
    const { train, test } = splitByArm(rows, 0.3, seed);
    const testX = test.map((r) => r.features);
    for (const learner of learners) {
      const t0 = performance.now();
      const scores = await scoreWith(learner, train, testX, seed);
      const trainMs = performance.now() - t0;
      const e = evaluateUplift(
        scores,
        test.map((r) => r.treated),
        test.map((r) => r.outcome),
      );
      perSplit.push({ seed, learner, qini: e.qini, keptTop30: e.kept.top30, keptTop50: e.kept.top50, trainMs });
    }
    options.onSplit?.(k + 1, seeds.length);
  }
  const means = learners.map((learner) => {
    const mine = perSplit.filter((r) => r.learner === learner);
    const avg = (f: (r: LearnerSplitResult) => number) => mine.reduce((a, r) => a + f(r), 0) / mine.length;
    const m30 = avg((r) => r.keptTop30);
    return {
      learner,
      qini: avg((r) => r.qini),
      keptTop30: m30,
      keptTop50: avg((r) => r.keptTop50),
      trainMs: avg((r) => r.trainMs),
      keptTop30Sd: Math.sqrt(avg((r) => (r.keptTop30 - m30) ** 2)),
    };
  });
  return { dataset: options.csv === undefined ? path : "csv", seeds, perSplit, means };
}

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

export function formatUpliftLearners(result: UpliftLearnersResult): string {
  const lines = [
    `Hillstrom uplift learners: any e-mail vs none, visit; 30% held out; seeds ${result.seeds.join(", ")}`,
    "kept@k = share of all incremental visits kept treating only the top k% by predicted uplift (held-out rows)",
    "",
    `${"learner".padEnd(20)}${"qini".padStart(9)}${"kept@30".padStart(10)}${"(sd)".padStart(8)}${"kept@50".padStart(10)}${"train+score".padStart(13)}`,
  ];
  for (const m of result.means)
    lines.push(
      `${m.learner.padEnd(20)}${m.qini.toFixed(4).padStart(9)}${pct(m.keptTop30).padStart(10)}${pct(m.keptTop30Sd).padStart(8)}${pct(m.keptTop50).padStart(10)}${`${Math.round(m.trainMs)} ms`.padStart(13)}`,
    );
  lines.push("", "per split (kept@30 / kept@50):");
  for (const seed of result.seeds)
    lines.push(
      `  seed ${String(seed).padEnd(4)} ${result.perSplit
        .filter((r) => r.seed === seed)
        .map((r) => `${r.learner} ${pct(r.keptTop30)} / ${pct(r.keptTop50)}`)
        .join("; ")}`,
    );
  return lines.join("\n");
}

// npx tsx evals/uplift-learners-hillstrom.ts [path/to/train.csv]
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  evaluateUpliftLearners({ path: process.argv[2] })
    .then((result) => process.stdout.write(`${formatUpliftLearners(result)}\n`))
    .catch((err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    });
}
