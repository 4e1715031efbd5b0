import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";

/** A seeded source of uniform numbers; mutable, so pass one instance down a single call tree. */
export interface SeededRandom {
  /** Uniform in [0, 1). */
  float(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
}

export function createRandom(seed: number): SeededRandom {
  const gen = xoroshiro128plus(seed | 0);
  // Two 32-bit draws give 53 bits, so `int` stays unbiased for n up to millions.
  const float = (): number => ((gen.next() >>> 5) * 67108864 + (gen.next() >>> 6)) / 9007199254740992;
  return { float, int: (n) => Math.floor(float() * n) };
}

/**
 * `m` distinct indices from [0, n) in random order (partial Fisher-Yates). Random order matters:
 * any prefix of the result is itself a uniform sample, so nested samples (fit ⊃ silhouette ⊃
 * DBSCAN) are prefixes of one draw.
 */
export function sampleIndices(n: number, m: number, random: SeededRandom): Int32Array {
  const size = Math.min(n, m);
  const out = new Int32Array(size);
  if (size * 4 < n) {
    // Sparse Fisher-Yates: only displaced positions are stored, so memory is O(m), not O(n).
    const moved = new Map<number, number>();
    for (let i = 0; i < size; i++) {
      const j = i + random.int(n - i);
      out[i] = moved.get(j) ?? j;
      moved.set(j, moved.get(i) ?? i);
    }
    return out;
  }
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  for (let i = 0; i < size; i++) {
    const j = i + random.int(n - i);
    const t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  out.set(perm.subarray(0, size));
  return out;
}
