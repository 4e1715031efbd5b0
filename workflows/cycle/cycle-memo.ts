import type { CycleData } from "./cycle-data.js";

/**
 * What one process remembers about the cycles it is running: each cycle's per-customer data, kept
 * from refresh to plan so it is read once, and released by the service as soon as the cycle stops
 * in this process (waits for a decision or its window, finishes, is rejected, or fails). A cycle
 * that needs it again recomputes it from the database (the same values: only data before `asOf`).
 */
export class CycleMemo {
  readonly #data = new Map<string, CycleData>();

  data(cycleId: string): CycleData | undefined {
    return this.#data.get(cycleId);
  }

  keep(cycleId: string, data: CycleData): void {
    this.#data.set(cycleId, data);
  }

  release(cycleId: string): void {
    this.#data.delete(cycleId);
  }

  /** Cycles whose data is held now. */
  get size(): number {
    return this.#data.size;
  }
}
