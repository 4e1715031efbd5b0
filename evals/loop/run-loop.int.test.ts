import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../core/config.js";
import { createTestDb, type TestDb } from "../../store/test-db.js";
import { runLoop, type LoopReport } from "./run-loop.js";

/** A tiny loop, all four policies, each on its own embedded database. */
describe("eval loop (300 customers × 3 weekly cycles, PGlite)", () => {
  let report: LoopReport;
  const opened: TestDb[] = [];

  beforeAll(async () => {
    report = await runLoop(
      { customers: 300, cycles: 3, seed: 7, policies: ["pulse", "blast", "rfm_rules", "none"], regretSample: 50 },
      {
        config: loadConfig(),
        openDb: async () => {
          const t = await createTestDb("pglite");
          opened.push(t);
          return { db: t.db, close: () => t.drop() };
        },
      },
    );
  }, 400_000);
  afterAll(async () => {
    for (const t of opened) await t.drop().catch(() => {});
  });

  const by = (p: string) => report.policies.find((r) => r.policy === p)!;

  it("starts every policy from the same world", () => {
    expect(Object.keys(report.startDigests).sort()).toEqual(["blast", "none", "pulse", "rfm_rules"]);
    expect(report.paired).toBe(true);
    expect(new Set(Object.values(report.startDigests)).size).toBe(1);
  });

  it("contacts nobody under none, and blast sends the most", () => {
    expect(by("none").messages).toBe(0);
    expect(by("none").optouts).toBe(0);
    expect(by("none").incremental_margin).toBe(0);
    expect(by("blast").messages).toBeGreaterThan(0);
    for (const p of ["pulse", "rfm_rules", "none"]) expect(by("blast").messages).toBeGreaterThanOrEqual(by(p).messages);
    expect(by("pulse").messages).toBeGreaterThan(0);
  });

  it("reports the contract's fields per policy, with a series per cycle", () => {
    const json = JSON.parse(JSON.stringify({ policies: report.policies })) as { policies: Record<string, unknown>[] };
    expect(json.policies.map((p) => p.policy)).toEqual(["pulse", "blast", "rfm_rules", "none"]);
    for (const p of json.policies) {
      for (const k of ["revenue", "margin", "incremental_margin", "messages", "optouts", "retention"]) expect(typeof p[k]).toBe("number");
      expect(p.retention as number).toBeGreaterThanOrEqual(0);
      expect(p.retention as number).toBeLessThanOrEqual(1);
      const series = p.series as { cycle: number; messages: number; cumulative_incremental_margin: number }[];
      expect(series.map((s) => s.cycle)).toEqual([0, 1, 2]);
      expect(series.reduce((n, s) => n + s.messages, 0)).toBe(p.messages);
      expect(series.at(-1)!.cumulative_incremental_margin).toBeCloseTo(p.incremental_margin as number, 6);
    }
  });

  it("shows Pulse's segment births, deaths and migrations per cycle, against the refresh before", () => {
    const segments = by("pulse").series.map((s) => s.segments);
    expect(segments.every((x) => x !== null && x.segments > 0)).toBe(true);
    expect(segments[0]!.migrated).toBeNull();
    expect(segments[0]!.births).toHaveLength(segments[0]!.segments);
    for (const x of segments.slice(1)) expect(x!.migrated).toBeGreaterThanOrEqual(0);
    expect(by("blast").series.every((s) => s.segments === null)).toBe(true);
  });

  it("measures the same world: margins differ only through what the policies sent", () => {
    // none and a policy that sent nothing in cycle 0 would agree exactly; blast sent, so it differs.
    expect(by("blast").margin).not.toBe(by("none").margin);
    expect(by("blast").regret).not.toBeNull();
  });
});
