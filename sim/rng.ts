/**
 * Seeded randomness for the simulator: sfc32 (Chris Doty-Humphrey's Small Fast Counting generator,
 * passes PractRand) seeded through murmur3's 32-bit finalizer.
 *
 * Every customer gets its own streams, derived from (seed, customer index, stream tag), so a
 * customer's draws never depend on how many other customers exist or in which order they run.
 */

/** murmur3 fmix32: a bijective 32-bit avalanche mixer. */
export function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hashes up to four non-negative safe integers (or 32-bit words) into one 32-bit word. */
export function hash32(a: number, b = 0, c = 0, d = 0): number {
  let h = 0x9e3779b9;
  h = mix32(h ^ (a >>> 0));
  h = mix32(h ^ (Math.floor(a / 4294967296) >>> 0) ^ 0x27d4eb2f);
  h = mix32(h ^ (b >>> 0));
  h = mix32(h ^ (Math.floor(b / 4294967296) >>> 0) ^ 0x165667b1);
  h = mix32(h ^ (c >>> 0));
  h = mix32(h ^ (d >>> 0));
  return h;
}

/** Hashes a string to 32 bits (FNV-1a then mixed); used to key streams by text such as campaign ids. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mix32(h);
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** A generator keyed by up to four integers (seed, customer index, stream tag, ...). */
  constructor(k0: number, k1 = 0, k2 = 0, k3 = 0) {
    this.a = hash32(k0, k1, k2, k3 ^ 0x1111);
    this.b = hash32(k0, k1, k2, k3 ^ 0x2222);
    this.c = hash32(k0, k1, k2, k3 ^ 0x3333);
    this.d = 1;
    for (let i = 0; i < 12; i++) this.next();
  }

  /** Uniform in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Standard normal (Box-Muller; one value per call keeps the stream position simple). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  exponential(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }

  /** Log-normal with the given mean and log-scale spread (mean-preserving). */
  lognormal(mean: number, sigma: number): number {
    return mean * Math.exp(sigma * this.normal() - (sigma * sigma) / 2);
  }

  /** Gamma(shape, scale) by Marsaglia-Tsang; mean = shape * scale. */
  gamma(shape: number, scale: number): number {
    if (shape < 1) {
      const u = 1 - this.next();
      return this.gamma(shape + 1, scale) * Math.pow(u, 1 / shape);
    }
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = 1 - this.next();
      if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v * scale;
    }
  }

  /** Poisson by inversion; the simulator only asks for small means. */
  poisson(mean: number): number {
    const l = Math.exp(-mean);
    let k = 0;
    let p = this.next();
    while (p > l && k < 1000) {
      k++;
      p *= this.next();
    }
    return k;
  }

  /** Index drawn from a cumulative weight array whose last entry is the total. */
  pickCumulative(cumulative: ArrayLike<number>): number {
    const n = cumulative.length;
    const x = this.next() * cumulative[n - 1];
    for (let i = 0; i < n - 1; i++) if (x < cumulative[i]) return i;
    return n - 1;
  }

  /** Dirichlet draw with the given concentration parameters. */
  dirichlet(alphas: readonly number[]): number[] {
    const g = alphas.map((a) => this.gamma(a, 1));
    const total = g.reduce((s, x) => s + x, 0) || 1;
    return g.map((x) => x / total);
  }
}

/** Cumulative sums of a weight list, for Rng.pickCumulative. */
export function cumulative(weights: readonly number[]): number[] {
  const out: number[] = [];
  let s = 0;
  for (const w of weights) {
    s += w;
    out.push(s);
  }
  return out;
}
