// jstat ships no type declarations; this covers the Beta distribution functions Pulse uses.
declare module "jstat" {
  export const jStat: {
    beta: {
      pdf(x: number, alpha: number, beta: number): number;
      cdf(x: number, alpha: number, beta: number): number;
      inv(p: number, alpha: number, beta: number): number;
    };
  };
}
