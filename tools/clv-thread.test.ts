import { describe, expect, it } from "vitest";
import { computeClv } from "./clv-model.js";
import { startClvThread } from "./clv-thread.js";

describe("CLV on a worker thread", () => {
  const customers = Array.from({ length: 400 }, (_, i) => {
    const x = i % 7;
    const T = 10 + (i % 40);
    return { id: `c${i}`, x, tx: x === 0 ? 0 : T * ((i % 10) / 10), T, ...(x > 0 ? { averageSpend: 20 + (i % 13) * 3.5 } : {}) };
  });
  const input = { customers, horizonWeeks: 52, margin: 0.35, annualDiscountRate: 0.1 };

  it("gives exactly what computeClv gives on the calling thread", async () => {
    const thread = startClvThread();
    expect(await thread.compute(input)).toEqual(computeClv(input));
  }, 60_000);

  it("passes the model's own errors on", async () => {
    const thread = startClvThread();
    await expect(thread.compute({ ...input, customers: [] })).rejects.toThrow();
  }, 60_000);

  it("can be closed without computing", async () => {
    const thread = startClvThread();
    await thread.close();
    // Closed: the model runs on the calling thread instead.
    expect(await thread.compute(input)).toEqual(computeClv(input));
  }, 60_000);
});
