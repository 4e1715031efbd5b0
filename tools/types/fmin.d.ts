// fmin ships no type declarations; this covers the one function Pulse uses.
declare module "fmin" {
  export interface NelderMeadOptions {
    maxIterations?: number;
    nonZeroDelta?: number;
    zeroDelta?: number;
    minErrorDelta?: number;
    rho?: number;
    chi?: number;
    psi?: number;
    /** Shrink factor; 1 or more makes the search stop where it would shrink. */
    sigma?: number;
  }
  export interface NelderMeadResult {
    x: number[];
    fx: number;
  }
  export function nelderMead(f: (x: number[]) => number, x0: number[], options?: NelderMeadOptions): NelderMeadResult;
}
