// ml-xgboost (XGBoost compiled to WebAssembly) ships no type declarations; this covers what Pulse uses.
declare module "ml-xgboost" {
  export interface XGBoostOptions {
    booster?: string;
    objective?: string;
    max_depth?: number;
    eta?: number;
    min_child_weight?: number;
    subsample?: number;
    colsample_bytree?: number;
    silent?: number;
    seed?: number;
    iterations?: number;
  }
  export interface XGBoostModel {
    train(X: number[][], y: number[]): void;
    predict(X: number[][]): number[];
    /** Frees the model's WebAssembly memory (never garbage-collected). */
    free(): void;
  }
  export type XGBoostClass = new (options: XGBoostOptions) => XGBoostModel;
  /** The module's export is a promise of the class, resolved once the WebAssembly module is ready. */
  const ready: Promise<XGBoostClass>;
  export default ready;
}
