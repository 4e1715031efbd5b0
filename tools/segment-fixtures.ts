import { createRandom, type SeededRandom } from "./segment-sample.js";

/** Seeded synthetic feature matrices for segment tests, evals and benchmarks. */

export interface MixtureOptions {
  n: number;
  d: number;
  /** Cluster centers, k × d; or a count, for centers drawn N(0, spread²) per coordinate. */
  centers: number[][] | number;
  seed: number;
  /** Standard deviation of centers when drawn (default 4). */
  spread?: number;
  /** Within-cluster standard deviation (default 1). */
  noise?: number;
  /** Relative cluster sizes (default equal). */
  weights?: number[];
}

export interface Mixture {
  data: Float64Array;
  truth: Int32Array;
  centers: number[][];
  ids: string[];
}

export function gaussian(random: SeededRandom): number {
  // Box-Muller; 1 - u keeps the log argument in (0, 1].
  const u = 1 - random.float();
  const v = random.float();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Isotropic Gaussian mixture, row-major n × d, with ground-truth labels and ids `c<i>`. */
export function gaussianMixture(options: MixtureOptions): Mixture {
  const { n, d, seed } = options;
  const random = createRandom(seed);
  const spread = options.spread ?? 4;
  const noise = options.noise ?? 1;
  const centers =
    typeof options.centers === "number"
      ? Array.from({ length: options.centers }, () => Array.from({ length: d }, () => gaussian(random) * spread))
      : options.centers;
  const k = centers.length;
  const weights = options.weights ?? centers.map(() => 1);
  const total = weights.reduce((a, b) => a + b, 0);
  const cumulative = weights.map(
    (
      (sum) => (w: number) =>
        (sum += w / total)
    )(0),
  );
  const data = new Float64Array(n * d);
  const truth = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const u = random.float();
    let c = 0;
    while (c < k - 1 && u >= cumulative[c]) c++;
    truth[i] = c;
    for (let t = 0; t < d; t++) data[i * d + t] = centers[c][t] + gaussian(random) * noise;
  }
  return { data, truth, centers, ids: Array.from({ length: n }, (_, i) => `c${i}`) };
}
