/**
 * Uplift evaluation metrics on randomised data: Qini curve, Qini coefficient, uplift@k and the
 * share of all incremental outcomes kept when treating only the top k%.
 *
 * Qini curve (Radcliffe 2007): customers sorted by predicted uplift, best first; after the top n,
 *   gain(n) = Yt(n) - Yc(n) * Nt(n) / Nc(n)
 * where Yt, Yc are summed outcomes and Nt, Nc counts of treated and control customers in the top n.
 * gain(n) is the incremental outcomes the top n would yield, in units of the treated group (the
 * control sum rescaled to the treated count). Equal scores form one step: a ranking that cannot
 * tell customers apart earns no credit for the order they happen to be listed in.
 *
 * Qini coefficient (the normalisation used throughout Pulse): the area between the model's Qini
 * curve and the random line (the straight line from (0, 0) to (N, gain(N))), divided by the same
 * area for the perfect ranking. Random ranking scores 0 in expectation, the perfect ranking 1; a
 * negative value ranks worse than random. The perfect ranking puts treated customers in order of
 * decreasing outcome first and control customers in order of increasing outcome last
 * (score = outcome * (treated ? 1 : -1)), as in scikit-uplift's `qini_auc_score` with negative
 * effects allowed. Because that oracle sees each customer's realised outcome, values on real data
 * are small (Hillstrom visit: a few hundredths); compare methods on the same data, not across data.
 * `qiniArea` is the unnormalised area with both axes per customer (x: share of customers,
 * y: gain / N), for readers who prefer Radcliffe's raw area.
 */

export interface UpliftSample {
  /** Predicted uplift; higher means treat first. */
  score: number;
  treated: boolean;
  outcome: number;
}

export interface QiniPoint {
  /** Customers in the top group. */
  n: number;
  /** n / N. */
  fraction: number;
  /** Incremental outcomes of the top group, in units of the treated group. */
  gain: number;
}

function checkLengths(scores: ArrayLike<number>, treated: ArrayLike<boolean>, outcomes: ArrayLike<number>): void {
  if (scores.length !== treated.length || scores.length !== outcomes.length) {
    throw new RangeError(
      `scores (${scores.length}), treated (${treated.length}) and outcomes (${outcomes.length}) must have the same length`,
    );
  }
}

function gainOf(yt: number, yc: number, nt: number, nc: number): number {
  if (nt === 0) return 0;
  if (nc === 0) return yt;
  return yt - (yc * nt) / nc;
}

/** Qini curve with one point per distinct score (plus the origin). */
export function qiniCurve(scores: ArrayLike<number>, treated: ArrayLike<boolean>, outcomes: ArrayLike<number>): QiniPoint[] {
  checkLengths(scores, treated, outcomes);
  const N = scores.length;
  const order = Array.from({ length: N }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  const points: QiniPoint[] = [{ n: 0, fraction: 0, gain: 0 }];
  let yt = 0;
  let yc = 0;
  let nt = 0;
  let nc = 0;
  for (let k = 0; k < N; k++) {
    const i = order[k];
    if (treated[i]) {
      nt++;
      yt += outcomes[i];
    } else {
      nc++;
      yc += outcomes[i];
    }
    const last = k === N - 1 || scores[order[k + 1]] !== scores[i];
    if (last) points.push({ n: k + 1, fraction: (k + 1) / N, gain: gainOf(yt, yc, nt, nc) });
  }
  return points;
}

/** Gain at a share of customers, linear between curve points (i.e. random order within ties). */
export function gainAt(curve: readonly QiniPoint[], fraction: number): number {
  if (curve.length < 2) return 0;
  const f = Math.min(Math.max(fraction, 0), 1);
  for (let k = 1; k < curve.length; k++) {
    const a = curve[k - 1];
    const b = curve[k];
    if (f <= b.fraction) {
      const span = b.fraction - a.fraction;
      return span <= 0 ? b.gain : a.gain + ((b.gain - a.gain) * (f - a.fraction)) / span;
    }
  }
  return curve[curve.length - 1].gain;
}

/** Area between the curve and its random line, x as share of customers, y in gain units. */
function areaAboveRandom(curve: readonly QiniPoint[]): number {
  if (curve.length < 2) return 0;
  const total = curve[curve.length - 1].gain;
  let area = 0;
  for (let k = 1; k < curve.length; k++) {
    const a = curve[k - 1];
    const b = curve[k];
    const dx = b.fraction - a.fraction;
    area += (dx * (a.gain - total * a.fraction + (b.gain - total * b.fraction))) / 2;
  }
  return area;
}

export interface QiniSummary {
  /** Area above random / same area for the perfect ranking (random = 0, perfect = 1). */
  qini: number;
  /** Area above random with x = share of customers and y = gain / N. */
  qiniArea: number;
  /** Incremental outcomes of treating everyone: gain(N). */
  totalIncremental: number;
}

export function qiniCoefficient(scores: ArrayLike<number>, treated: ArrayLike<boolean>, outcomes: ArrayLike<number>): QiniSummary {
  const curve = qiniCurve(scores, treated, outcomes);
  const N = scores.length;
  const oracle = Array.from({ length: N }, (_, i) => (treated[i] ? outcomes[i] : -outcomes[i]));
  const model = areaAboveRandom(curve);
  const perfect = areaAboveRandom(qiniCurve(oracle, treated, outcomes));
  return {
    qini: perfect > 0 ? model / perfect : 0,
    qiniArea: N > 0 ? model / N : 0,
    totalIncremental: curve[curve.length - 1].gain,
  };
}

/**
 * Share of all incremental outcomes kept when treating only the top `fraction` by score:
 * gain(top fraction) / gain(N). Can exceed 1 when the rest contains customers the treatment harms.
 * NaN when treating everyone yields no incremental outcome at all (the share is undefined).
 */
export function keptShare(scores: ArrayLike<number>, treated: ArrayLike<boolean>, outcomes: ArrayLike<number>, fraction: number): number {
  const curve = qiniCurve(scores, treated, outcomes);
  const total = curve[curve.length - 1].gain;
  if (Math.abs(total) < 1e-12) return Number.NaN;
  return gainAt(curve, fraction) / total;
}

/**
 * uplift@k: mean outcome of treated minus mean outcome of control among the top `fraction` of all
 * customers by score (scikit-uplift's "overall" strategy). NaN when either group is empty there.
 */
export function upliftAtK(scores: ArrayLike<number>, treated: ArrayLike<boolean>, outcomes: ArrayLike<number>, fraction: number): number {
  checkLengths(scores, treated, outcomes);
  const N = scores.length;
  const k = Math.max(1, Math.round(Math.min(Math.max(fraction, 0), 1) * N));
  const order = Array.from({ length: N }, (_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
  let yt = 0;
  let yc = 0;
  let nt = 0;
  let nc = 0;
  for (let r = 0; r < Math.min(k, N); r++) {
    const i = order[r];
    if (treated[i]) {
      nt++;
      yt += outcomes[i];
    } else {
      nc++;
      yc += outcomes[i];
    }
  }
  return nt === 0 || nc === 0 ? Number.NaN : yt / nt - yc / nc;
}

export interface UpliftEvaluation extends QiniSummary {
  /** keptShare at each requested fraction, keyed like "top30". */
  kept: Record<string, number>;
  upliftAt: Record<string, number>;
}

/** All metrics at once, for reports. Fractions default to 30% and 50%. */
export function evaluateUplift(
  scores: ArrayLike<number>,
  treated: ArrayLike<boolean>,
  outcomes: ArrayLike<number>,
  fractions: readonly number[] = [0.3, 0.5],
): UpliftEvaluation {
  const summary = qiniCoefficient(scores, treated, outcomes);
  const curve = qiniCurve(scores, treated, outcomes);
  const kept: Record<string, number> = {};
  const upliftAt: Record<string, number> = {};
  for (const f of fractions) {
    const key = `top${Math.round(f * 100)}`;
    kept[key] = Math.abs(summary.totalIncremental) < 1e-12 ? Number.NaN : gainAt(curve, f) / summary.totalIncremental;
    upliftAt[key] = upliftAtK(scores, treated, outcomes, f);
  }
  return { ...summary, kept, upliftAt };
}
