import { describe, expect, it } from "vitest";
import { formatWorkersTable, ratiosToOneWorker, workersBenchOptionsSchema, type WorkersRun } from "./workers-figures.js";

const run = (workers: number, sent: number, seconds: number): WorkersRun => ({
  workers,
  treated: sent,
  shards: 8,
  sent,
  activationSeconds: seconds / 2,
  seconds,
  duplicates: 0,
  lost: 0,
  heldOutContacted: 0,
  sendsPerWorker: [sent],
  shardsPerWorker: [8],
  workerCpuSeconds: 3,
  machineBusy: 0.9,
});

describe("bench:workers helpers", () => {
  it("parses the worker counts and sizes from strings and refuses nonsense", () => {
    expect(workersBenchOptionsSchema.parse({ customers: "20000", seed: "1", workers: "1, 2,3,4,1", shardSize: "500" })).toEqual({
      customers: 20_000,
      seed: 1,
      workers: [1, 2, 3, 4, 1],
      shardSize: 500,
    });
    for (const workers of ["", "0", "1,x", "2.5", "17"])
      expect(workersBenchOptionsSchema.safeParse({ customers: "20000", seed: "1", workers, shardSize: "500" }).success).toBe(false);
    expect(workersBenchOptionsSchema.safeParse({ customers: "20000", seed: "1", workers: "1", shardSize: "5" }).success).toBe(false);
  });

  it("rates each run's sends/s against the first 1-worker run", () => {
    expect(ratiosToOneWorker([run(2, 1000, 5), run(1, 1000, 10), run(4, 2000, 5)])).toEqual([2, 1, 4]);
    // Without a 1-worker run, against the first.
    expect(ratiosToOneWorker([run(2, 1000, 10), run(3, 1500, 10)])).toEqual([1, 1.5]);
  });

  it("prints one aligned line per run with its ratio and exactly-once counts", () => {
    const lines = formatWorkersTable([run(1, 4000, 10), run(2, 4000, 8)]).split("\n");
    expect(lines).toHaveLength(4);
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
    expect(lines[2]).toMatch(/\b400\s+×1\.00\s+0\s+0\s+0\b/);
    expect(lines[3]).toMatch(/\b500\s+×1\.25\s/);
  });
});
