import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDb, type Db } from "./db.js";

/**
 * PGlite is a single PostgreSQL session shared by its bulk transactions (the owner's COPY path) and
 * every client of its socket. They must take turns, or one's statements land in the other's
 * transaction: committed or rolled back by someone else.
 */
describe("the embedded database: bulk transactions and socket clients take turns", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "pulse-turns-"));
  let db: Db;

  beforeAll(async () => {
    db = await openDb({ dataDir: dir });
    await db.pool.query("CREATE TABLE turns (v int)");
  });

  afterAll(async () => {
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const values = async () => (await db.pool.query<{ v: number }>("SELECT v FROM turns ORDER BY v")).rows.map((r) => r.v);

  it("a query sent while a bulk transaction is open waits for it, and survives its rollback", async () => {
    await db.pool.query("TRUNCATE turns");
    let inserted = false;
    let pending: Promise<unknown> | undefined;
    await expect(
      db.bulkTransaction(async (session) => {
        await session.query("INSERT INTO turns VALUES (1)");
        pending = db.pool.query("INSERT INTO turns VALUES (2)").then(() => (inserted = true));
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(inserted).toBe(false);
        throw new Error("the batch fails");
      }),
    ).rejects.toThrow("the batch fails");
    await pending;
    expect(inserted).toBe(true);
    expect(await values()).toEqual([2]);
  });

  it("two bulk transactions at once run one after the other, each committing or rolling back only its own rows", async () => {
    await db.pool.query("TRUNCATE turns");
    const order: string[] = [];
    const bulk = (v: number, fail: boolean) =>
      db.bulkTransaction(async (session) => {
        order.push(`begin ${v}`);
        await session.query(`INSERT INTO turns VALUES (${v})`);
        await new Promise((resolve) => setTimeout(resolve, 50));
        order.push(`end ${v}`);
        if (fail) throw new Error(`batch ${v} fails`);
      });
    const outcomes = await Promise.allSettled([bulk(6, false), bulk(7, true), db.pool.query("INSERT INTO turns VALUES (8)")]);
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(order).toEqual(["begin 6", "end 6", "begin 7", "end 7"]);
    expect(await values()).toEqual([6, 8]);
  });

  it("a bulk transaction waits for a socket client's open transaction instead of joining it", async () => {
    await db.pool.query("TRUNCATE turns");
    const other = new pg.Client({ connectionString: db.pool.options.connectionString, options: `-c search_path=${db.schema}` });
    await other.connect();
    try {
      await other.query("BEGIN");
      await other.query("INSERT INTO turns VALUES (3)");
      let bulkStarted = false;
      const bulk = db.bulkTransaction(async (session) => {
        bulkStarted = true;
        await session.query("INSERT INTO turns VALUES (5)");
        throw new Error("rolled back on purpose");
      });
      const bulkOutcome = bulk.catch((err: Error) => err.message);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(bulkStarted).toBe(false);
      await other.query("INSERT INTO turns VALUES (4)");
      await other.query("COMMIT");
      expect(await bulkOutcome).toBe("rolled back on purpose");
      expect(bulkStarted).toBe(true);
      // The client's transaction committed whole; the bulk transaction's rollback took only its own row.
      expect(await values()).toEqual([3, 4]);
    } finally {
      await other.end();
    }
  });
});
