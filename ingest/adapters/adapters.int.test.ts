import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IngestFileError } from "../../core/errors.js";
import { listQuarantine } from "../../store/ingest-repo.js";
import { outcomesByArm } from "../../store/experiments-repo.js";
import { createTestDb, type TestDb } from "../../store/test-db.js";
import { ingestCdnow } from "./cdnow.js";
import { HILLSTROM_EXPERIMENT_ID, ingestHillstrom } from "./hillstrom.js";

const data = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../evals/data");
const dir = mkdtempSync(path.join(tmpdir(), "pulse-adapters-"));

describe("public data adapters (PostgreSQL)", () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb("postgres");
  });
  afterAll(async () => {
    await t?.drop();
  });

  it("loads the CDNOW sample: every transaction an order, customers from their first purchase", async () => {
    const s = await ingestCdnow(t.db, path.join(data, "cdnow/CDNOW_sample.txt"));
    expect(s).toMatchObject({ rowsRead: 6919, inserted: 6919, quarantined: 0, layout: "sample" });
    expect(s.customers).toEqual({ inserted: 2357, updated: 0 });
    const { rows } = await t.db.pool.query(
      `SELECT min(signup_at)::date::text AS first, max(signup_at)::date::text AS last,
              (SELECT round(sum(quantity * unit_price)::numeric, 2)::float8 FROM order_lines WHERE order_id LIKE 'cdnow-%') AS dollars
       FROM customers WHERE customer_id LIKE 'cdnow-%'`,
    );
    // The cohort first bought in the first quarter of 1997 (the last first purchase in the file is 1997-03-25).
    expect(rows[0].first).toBe("1997-01-01");
    expect(rows[0].last).toBe("1997-03-25");
    // Same total as summing the file's dollar column with awk: 244,091.94.
    expect(rows[0].dollars).toBeCloseTo(244091.94, 1);
    const again = await ingestCdnow(t.db, path.join(data, "cdnow/CDNOW_sample.txt"));
    expect(again).toMatchObject({ inserted: 0, updated: 0, unchanged: 6919 });
    expect(again.customers).toEqual({ inserted: 0, updated: 0 });
  });

  it("reads the 4-column master layout and quarantines malformed lines", async () => {
    const file = path.join(dir, "master.txt");
    writeFileSync(
      file,
      ["90001 19970101 1 11.77", "00002 19970112 2 x", "00003 19970230 1 5.00", "00004 19970102 1", "90005 19970102 3 30.00"].join("\n"),
    );
    const s = await ingestCdnow(t.db, file);
    expect(s).toMatchObject({ layout: "master", rowsRead: 5, inserted: 2, quarantined: 3 });
    const q = await listQuarantine(t.db, { loadId: s.loadId });
    expect(q.map((r) => [r.lineNo, r.reason])).toEqual([
      [2, expect.stringMatching(/unit_price: not a number/)],
      [3, expect.stringMatching(/ordered_at: unparsable date/)],
      [4, expect.stringMatching(/wrong column count: expected 4/)],
    ]);
    const notCdnow = path.join(dir, "not-cdnow.txt");
    writeFileSync(notCdnow, "a,b\n1,2\n");
    await expect(ingestCdnow(t.db, notCdnow)).rejects.toThrow(IngestFileError);
  });

  it("loads the Hillstrom test as an experiment with arms and outcomes", async () => {
    const s = await ingestHillstrom(t.db, path.join(data, "hillstrom/sample.csv"));
    expect(s).toMatchObject({ rowsRead: 3000, inserted: 3000, quarantined: 0 });
    const arms = await outcomesByArm(t.db, HILLSTROM_EXPERIMENT_ID);
    expect(arms.map((a) => [a.armLabel, a.arm, a.customers])).toEqual([
      ["Mens E-Mail", "treatment", 1000],
      ["No E-Mail", "holdout", 1000],
      ["Womens E-Mail", "treatment", 1000],
    ]);
    // The published visit rates are 18.3% / 15.1% / 10.6%; a 1,000-row sample lands near them.
    const visit = Object.fromEntries(arms.map((a) => [a.armLabel, a.visitRate!]));
    expect(visit["Mens E-Mail"]).toBeGreaterThan(visit["No E-Mail"]!);
    expect(visit["No E-Mail"]).toBeGreaterThan(0.07);
    expect(visit["No E-Mail"]).toBeLessThan(0.14);
    expect(await ingestHillstrom(t.db, path.join(data, "hillstrom/sample.csv"))).toMatchObject({
      inserted: 0,
      updated: 0,
      unchanged: 3000,
    });
  });

  it("quarantines bad Hillstrom rows and rejects a foreign header", async () => {
    const file = path.join(dir, "hill.csv");
    writeFileSync(
      file,
      [
        "recency,history_segment,history,mens,womens,zip_code,newbie,channel,segment,visit,conversion,spend",
        '10,"2) $100 - $200",142.44,1,0,Surburban,0,Phone,Womens E-Mail,0,0,0',
        '6,"3) $200 - $350",329.08,1,1,Mars,1,Web,No E-Mail,0,0,0',
        '7,"2) $100 - $200",180.65,0,1,Surburban,1,Web,Carrier Pigeon,0,0,0',
      ].join("\n"),
    );
    const s = await ingestHillstrom(t.db, file);
    expect(s).toMatchObject({ rowsRead: 3, quarantined: 2 });
    const q = await listQuarantine(t.db, { loadId: s.loadId });
    expect(q.map((r) => r.reason)).toEqual([expect.stringMatching(/zip_code/), expect.stringMatching(/segment: unknown arm/)]);
    await expect(ingestHillstrom(t.db, path.join(data, "cdnow/CDNOW_sample.txt"))).rejects.toThrow(/not recognised as Hillstrom/);
  });
});
