// Minimal typing for the parts of density-clustering (CommonJS, untyped) that Pulse uses.
declare module "density-clustering" {
  export class DBSCAN<T = unknown> {
    constructor();
    /** Returns clusters as arrays of dataset indices; `noise` is filled as a side effect. */
    run(dataset: T[], epsilon: number, minPts: number, distance?: (a: T, b: T) => number): number[][];
    /** Indices first seen as non-core; may include points later absorbed as border points. */
    noise: number[];
  }
  const densityClustering: { DBSCAN: typeof DBSCAN };
  export default densityClustering;
}
