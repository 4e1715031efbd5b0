import * as fminModule from "fmin";

/**
 * Multi-start Nelder-Mead (fmin) over log-parameters, so every model parameter stays positive
 * without constraints. The best start is then restarted with a fresh simplex until it stops
 * improving, because a simplex can stall on the long, curved ridges these likelihoods have.
 */

// fmin's published build is a UMD bundle inside a "type": "module" package: Node loads it as ESM,
// where it exports nothing and attaches itself to globalThis.fmin instead. Take whichever exists.
const nelderMead: typeof fminModule.nelderMead | undefined =
  (fminModule as Partial<typeof fminModule>).nelderMead ?? (globalThis as { fmin?: Partial<typeof fminModule> }).fmin?.nelderMead;

export interface MinimizeResult {
  /** The minimizing parameters on their natural (positive) scale. */
  params: number[];
  /** The objective at `params`. */
  value: number;
  /** Objective evaluations used, over all starts and restarts. */
  evaluations: number;
}

export interface MinimizeOptions {
  maxIterationsPerRun?: number;
  maxRestarts?: number;
}

/**
 * Minimizes `objective(params)` over positive params from each of `starts` (natural scale).
 * Non-finite objective values count as +Infinity, so the simplex backs away from them.
 */
export function minimizePositive(
  objective: (params: number[]) => number,
  starts: number[][],
  options: MinimizeOptions = {},
): MinimizeResult {
  if (!nelderMead) throw new Error("fmin.nelderMead is unavailable: the fmin package did not load as expected");
  const nm = nelderMead;
  const maxIterations = options.maxIterationsPerRun ?? 4000;
  const maxRestarts = options.maxRestarts ?? 50;
  let evaluations = 0;
  const f = (logParams: number[]): number => {
    evaluations++;
    const v = objective(logParams.map(Math.exp));
    return Number.isFinite(v) ? v : Number.POSITIVE_INFINITY;
  };
  // fmin 0.0.4's shrink step assigns an undeclared variable, which throws in strict mode (its
  // build loads as ESM). sigma = 1 makes it return where it would shrink; the restart loop below
  // then rebuilds a fresh simplex around the best point, which serves the same purpose.
  // fmin also uses minErrorDelta as both its value and its step tolerance.
  const run = (x0: number[]) => nm(f, x0, { maxIterations, minErrorDelta: 1e-12, sigma: 1 });

  let best = { x: starts[0].map(Math.log), fx: Number.POSITIVE_INFINITY };
  for (const start of starts) {
    const result = run(start.map(Math.log));
    if (result.fx < best.fx) best = { x: result.x.slice(), fx: result.fx };
  }
  for (let i = 0; i < maxRestarts; i++) {
    const result = run(best.x);
    const improved = best.fx - result.fx;
    if (result.fx < best.fx) best = { x: result.x.slice(), fx: result.fx };
    if (!(improved > 1e-10)) break;
  }
  return { params: best.x.map(Math.exp), value: best.fx, evaluations };
}
