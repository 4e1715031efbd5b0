/**
 * Segments a seeded 1,000,000 × 10 Gaussian mixture (8 clusters) with Pulse — automatic k over
 * 3..12, then every customer assigned, plus DBSCAN, identity and profiles — and times
 * scikit-learn's KMeans(n_clusters=8, n_init=1) fit on the same matrix in the same run. Runs
 * alternate (Pulse, sklearn, Pulse, ...) so both see the same machine load; medians are compared.
 *   npx tsx bench/segment.bench.ts [rows=1000000] [repeats=3] [python=/usr/bin/python3]
 * Needs scikit-learn for /usr/bin/python3 (Debian: apt-get install -y python3-sklearn).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { segmentMatrix } from "../tools/segment.js";
import { gaussianMixture } from "../tools/segment-fixtures.js";
import { adjustedRandIndex } from "../tools/segment-metrics.js";

const rows = Number(process.argv[2] ?? 1_000_000);
const repeats = Number(process.argv[3] ?? 3);
const d = 10;
const trueK = 8;
const python = process.argv[4] ?? "/usr/bin/python3";
const features = [
  "recency_days",
  "frequency",
  "monetary",
  "aov",
  "tenure_days",
  "discount_share",
  "overdue_ratio",
  "margin_rate",
  "engagement",
  "return_rate",
];

interface SklearnRun {
  wall: number[];
  cpu: number[];
  iterations: number[];
  ari: number;
}

async function run(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), "pulse-segment-bench-"));
  try {
    const mix = gaussianMixture({ n: rows, d, centers: trueK, seed: 20240601, spread: 3 });
    const matrixFile = path.join(dir, "matrix.f64");
    const truthFile = path.join(dir, "truth.i32");
    writeFileSync(matrixFile, new Uint8Array(mix.data.buffer, mix.data.byteOffset, mix.data.byteLength));
    writeFileSync(truthFile, new Uint8Array(mix.truth.buffer, mix.truth.byteOffset, mix.truth.byteLength));
    const input = { ids: mix.ids, features, data: mix.data };

    // Warm the JIT on a small matrix first, as Python's imports are warm before its timer starts.
    const warm = gaussianMixture({ n: 50_000, d, centers: trueK, seed: 7, spread: 3 });
    segmentMatrix({ ids: warm.ids, features, data: warm.data });

    const pulseWall: number[] = [];
    const pulseCpu: number[] = [];
    const sklearnWall: number[] = [];
    const sklearnCpu: number[] = [];
    let sklearn: SklearnRun | null = null;
    let result: ReturnType<typeof segmentMatrix> | null = null;
    const script = path.join(path.dirname(fileURLToPath(import.meta.url)), "segment-sklearn.py");
    for (let r = 0; r < repeats; r++) {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      result = segmentMatrix(input, { seed: 42 + r });
      pulseWall.push((performance.now() - t0) / 1000);
      const cpu = process.cpuUsage(cpu0);
      pulseCpu.push((cpu.user + cpu.system) / 1e6);

      const out = execFileSync(python, [script, matrixFile, truthFile, String(rows), String(d), String(trueK), "1"], { encoding: "utf8" });
      const one = JSON.parse(out.trim().split("\n").pop() as string) as SklearnRun;
      sklearnWall.push(one.wall[0]);
      sklearnCpu.push(one.cpu[0]);
      sklearn ??= one;
    }
    if (result === null || sklearn === null) throw new Error("no runs");
    const peakRssMb = process.resourceUsage().maxRSS / 1024;
    const pulse = median(pulseWall);
    const sk = median(sklearnWall);
    const ari = adjustedRandIndex(result.labels, mix.truth);
    const s = result.summary;
    const lines = [
      `segment bench: ${rows.toLocaleString("en-US")} × ${d}, ${trueK}-cluster Gaussian mixture, ${repeats} alternating runs`,
      `pulse   wall ${fmt(pulseWall)} s (median ${pulse.toFixed(3)}), cpu ${fmt(pulseCpu)} s; chosen k=${s.k}; ARI ${ari.toFixed(4)}`,
      `        fit sample ${s.selection.fitSampleSize}, silhouette sample ${s.selection.silhouetteSampleSize}, DBSCAN sample ${s.density.sampleSize} (eps ${s.density.eps}, noise ${(s.density.outliers.share * 100).toFixed(2)}%)`,
      `        silhouette by k: ${s.selection.candidates.map((c) => `${c.k}:${c.silhouette.toFixed(3)}`).join(" ")}`,
      `sklearn KMeans(n_clusters=${trueK}, n_init=1) wall ${fmt(sklearnWall)} s (median ${sk.toFixed(3)}), cpu ${fmt(sklearnCpu)} s; iterations ${sklearn.iterations[0]}; ARI ${sklearn.ari.toFixed(4)}`,
      `ratio   pulse / sklearn wall = ${(pulse / sk).toFixed(3)} (${pulse < sk ? "Pulse faster" : "Pulse SLOWER"})`,
      `memory  Pulse peak RSS ${peakRssMb.toFixed(0)} MB (${peakRssMb < 2048 ? "under" : "OVER"} 2 GB; includes the generated ${(mix.data.byteLength / 2 ** 20).toFixed(0)} MB matrix and 1M id strings)`,
    ];
    console.log(lines.join("\n"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function fmt(xs: number[]): string {
  return xs.map((x) => x.toFixed(3)).join(", ");
}

run().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
