import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IngestFileError } from "../core/errors.js";
import { migrate } from "../store/migrate.js";
import { listQuarantine } from "../store/ingest-repo.js";
import { BACKENDS, createTestDb, type TestDb } from "../store/test-db.js";
import { ingestFile } from "./ingest-file.js";

const dir = mkdtempSync(path.join(tmpdir(), "pulse-ingest-"));
const file = (name: string, content: string | Buffer) => {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
};

const ORDERS_HEADER = "order_id,line_no,customer_id,ordered_at,channel,sku,category,quantity,unit_price,discount,margin,status";
// Line numbers count the header as line 1. Each bad line is followed by a good one.
const ordersCsv = Buffer.concat([
  Buffer.from(
    [
      ORDERS_HEADER,
      "o1,1,c1,2024-01-05T10:00:00Z,web,s1,home,2,10.50,0,3,completed", // 2 good
      "o2,1,,2024-01-06,web,s1,home,1,1,0,0,completed", // 3 missing id
      "o3,1,c2,2024-02-30,web,s1,home,1,1,0,0,completed", // 4 unparsable date
      "o4,1,c2,2024-01-06,web,s2,toys,1,not-a-price,0,0,completed", // 5 unparsable number
      "o5,1,c2,2024-01-06,fax,s1,home,1,1,0,0,completed", // 6 unknown channel
      "o6,1,c2,2024-01-06,web,s1,home,1,-3,0,0,completed", // 7 negative price, not a return
      "o7,1,c2,2024-01-06,web,s1,home,1,-3,0,0,returned", // 8 good: a return
      "o1,1,c1,2024-01-05T10:00:00Z,web,s1,home,2,10.50,0,3,completed", // 9 duplicate of line 2
      "o8,1,c2,2024-01-06,web,s1,home,1", // 10 wrong column count
      'o9,1,c3,2024-01-07,app,s9,"toys, games",3,4.25,0.5,1.2,completed', // 11 good, quoted field
    ].join("\n") + "\n",
  ),
  Buffer.from("o10,1,c3,2024-01-07,app,s9,caf"),
  Buffer.from([0xe9, 0x28]), // 12 broken UTF-8
  Buffer.from(",1,2,0,0,completed\no11,1,c4,2024-03-01,store,s3,grocery,1,7,0,2,completed\n"), // 13 good
]);

const expectedQuarantine = [
  [3, /customer_id: missing/],
  [4, /ordered_at: unparsable date/],
  [5, /unit_price: not a number/],
  [6, /channel: unknown value/],
  [7, /negative price on a line that is not a return/],
  [9, /duplicate: same key as line 2/],
  [10, /wrong column count: expected 12, found 8/],
  [12, /invalid UTF-8/],
] as const;

describe.each(BACKENDS)("store and ingestion on %s", (backend) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb(backend);
  });
  afterAll(async () => {
    await t?.drop();
  });

  it("applies migrations once and refuses edits to the audit log", async () => {
    expect((await migrate(t.db)).applied).toEqual([]);
    await t.db.pool.query(
      "INSERT INTO audit_log (at, kind, actor, entry, prev_hash, hash) VALUES (now(), 'test', 'tester', '{}', 'genesis', 'h1')",
    );
    await expect(t.db.pool.query("UPDATE audit_log SET actor = 'someone else'")).rejects.toThrow(/append-only/);
    await expect(t.db.pool.query("DELETE FROM audit_log")).rejects.toThrow(/append-only/);
  });

  it("loads good rows and quarantines each kind of bad row with its line number and reason", async () => {
    const summary = await ingestFile(t.db, "orders", file(`orders-${backend}.csv`, ordersCsv));
    expect(summary).toMatchObject({ rowsRead: 12, inserted: 4, updated: 0, unchanged: 0, quarantined: 8 });
    const q = await listQuarantine(t.db, { loadId: summary.loadId });
    expect(q.map((r) => r.lineNo)).toEqual(expectedQuarantine.map(([line]) => line));
    q.forEach((row, i) => expect(row.reason).toMatch(expectedQuarantine[i]![1]));
    expect(q.find((r) => r.lineNo === 10)!.raw).toBe("o8,1,c2,2024-01-06,web,s1,home,1");

    const lines = await t.db.pool.query("SELECT order_id, category, unit_price, status FROM order_lines ORDER BY order_id");
    expect(lines.rows).toEqual([
      { order_id: "o1", category: "home", unit_price: 10.5, status: "completed" },
      { order_id: "o11", category: "grocery", unit_price: 7, status: "completed" },
      { order_id: "o7", category: "home", unit_price: -3, status: "returned" },
      { order_id: "o9", category: "toys, games", unit_price: 4.25, status: "completed" },
    ]);
    const headers = await t.db.pool.query("SELECT count(*)::int AS n FROM orders");
    expect(headers.rows[0].n).toBe(4);
  });

  it("changes nothing when the same file is loaded again", async () => {
    const before = await t.db.pool.query(
      "SELECT (SELECT count(*) FROM ingest_quarantine)::int q, (SELECT count(*) FROM order_lines)::int l",
    );
    const again = await ingestFile(t.db, "orders", path.join(dir, `orders-${backend}.csv`));
    expect(again).toMatchObject({ rowsRead: 12, inserted: 0, updated: 0, unchanged: 4, quarantined: 8 });
    const after = await t.db.pool.query(
      "SELECT (SELECT count(*) FROM ingest_quarantine)::int q, (SELECT count(*) FROM order_lines)::int l",
    );
    expect(after.rows).toEqual(before.rows);
  });

  it("quarantines a duplicate whose first line was in an earlier batch, whether that line inserted, updated or left its row unchanged", async () => {
    const header = "event_id,customer_id,occurred_at,type,category,sku";
    const first = file(
      `events-dup-${backend}.csv`,
      [
        header,
        "e1,c1,2024-01-01,search,home,",
        "e2,c1,2024-01-02,search,home,",
        "e3,c1,2024-01-03,search,home,",
        "e1,c1,2024-01-09,cart_add,toys,",
        "",
      ].join("\n"),
    );
    // Batches of two lines: e1's duplicate (line 5) is in the second batch, after e1 was inserted.
    const a = await ingestFile(t.db, "events", first, { batchSize: 2 });
    expect(a).toMatchObject({ rowsRead: 4, inserted: 3, updated: 0, unchanged: 0, quarantined: 1 });
    expect((await listQuarantine(t.db, { loadId: a.loadId })).map((q) => [q.lineNo, q.reason])).toEqual([
      [5, expect.stringMatching(/duplicate/)],
    ]);
    // Loaded again, e1 is unchanged the first time and still a duplicate the second: its other values must not win.
    const b = await ingestFile(t.db, "events", first, { batchSize: 2 });
    expect(b).toMatchObject({ rowsRead: 4, inserted: 0, updated: 0, unchanged: 3, quarantined: 1 });
    // A file that changes e1 and repeats it later: the first line updates, the repeat is a duplicate.
    const second = file(
      `events-dup2-${backend}.csv`,
      [header, "e1,c1,2024-01-01,search,beauty,", "e2,c1,2024-01-02,search,home,", "e1,c1,2024-01-01,search,books,", ""].join("\n"),
    );
    expect(await ingestFile(t.db, "events", second, { batchSize: 2 })).toMatchObject({
      inserted: 0,
      updated: 1,
      unchanged: 1,
      quarantined: 1,
    });
    const e1 = await t.db.pool.query("SELECT type, category FROM events WHERE event_id = 'e1'");
    expect(e1.rows).toEqual([{ type: "search", category: "beauty" }]);
  });

  it("counts a changed row as updated", async () => {
    const changed = file(
      `orders-changed-${backend}.csv`,
      `${ORDERS_HEADER}\no1,1,c1,2024-01-05T10:00:00Z,web,s1,home,2,11.00,0,3,completed\n`,
    );
    expect(await ingestFile(t.db, "orders", changed)).toMatchObject({ inserted: 0, updated: 1, unchanged: 0 });
  });

  it("loads JSONL, hashes raw e-mail addresses and keeps consent history", async () => {
    const customers = file(
      `customers-${backend}.jsonl`,
      [
        JSON.stringify({
          customer_id: "c1",
          email: " Ada@Example.com ",
          signup_at: "2023-05-01",
          timezone: "Europe/London",
          loyalty_tier: "gold",
        }),
        "{not json",
        JSON.stringify({ customer_id: "c2", signup_at: "2023-06-01", timezone: "Mars/Olympus" }),
      ].join("\n"),
    );
    expect(await ingestFile(t.db, "customers", customers)).toMatchObject({ rowsRead: 3, inserted: 1, quarantined: 2 });
    const c = await t.db.pool.query("SELECT email_hash, timezone FROM customers WHERE customer_id = 'c1'");
    expect(c.rows[0].email_hash).toBe(createHash("sha256").update("ada@example.com").digest("hex"));
    expect(JSON.stringify(c.rows)).not.toContain("example.com");

    const consents = file(
      `consents-${backend}.csv`,
      "customer_id,channel,purpose,status,source,recorded_at\nc1,email,marketing,granted,signup,2023-05-01\nc1,email,marketing,revoked,unsubscribe,2024-02-01\nc1,carrier-pigeon,marketing,granted,x,2024-02-01\n",
    );
    expect(await ingestFile(t.db, "consents", consents)).toMatchObject({ inserted: 2, quarantined: 1 });
    const current = await t.db.pool.query("SELECT status FROM consents_current WHERE customer_id = 'c1' AND channel = 'email'");
    expect(current.rows).toEqual([{ status: "revoked" }]);
  });

  it("rejects a file whose header it does not know, saying what it expected", async () => {
    const wrong = file(`wrong-${backend}.csv`, "id,when\n1,2024-01-01\n");
    await expect(ingestFile(t.db, "events", wrong)).rejects.toThrow(IngestFileError);
    await expect(ingestFile(t.db, "events", wrong)).rejects.toThrow(/missing event_id, customer_id, occurred_at, type/);
    await expect(ingestFile(t.db, "events", path.join(dir, "does-not-exist.csv"))).rejects.toThrow(/cannot be read/);
  });
});

describe("both back ends", () => {
  it("hold the same data after the same loads", async () => {
    const digests: string[] = [];
    for (const backend of BACKENDS) {
      const t = await createTestDb(backend);
      try {
        await ingestFile(t.db, "orders", file(`same-${backend}.csv`, ordersCsv));
        const { rows } = await t.db.pool.query(
          `SELECT md5(string_agg(l::text || o::text, '|' ORDER BY l.order_id, l.line_no)) AS d
           FROM order_lines l JOIN orders o USING (order_id)`,
        );
        const q = await t.db.pool.query("SELECT string_agg(line_no || ':' || reason, '|' ORDER BY line_no) AS q FROM ingest_quarantine");
        digests.push(`${rows[0].d}/${q.rows[0].q}`);
      } finally {
        await t.drop();
      }
    }
    expect(digests[0]).toBe(digests[1]);
  });
});

describe("concurrent starts", () => {
  it("migrate one schema exactly once", async () => {
    const first = await createTestDb("postgres");
    try {
      const { openDb } = await import("../store/db.js");
      const url = first.db.pool.options.connectionString!;
      // Drop and recreate the schema so several processes race to create it.
      await first.db.pool.query(`DROP SCHEMA "${first.db.schema}" CASCADE`);
      const dbs = await Promise.all(Array.from({ length: 4 }, () => openDb({ databaseUrl: url, dataDir: "", schema: first.db.schema })));
      const { rows } = await dbs[0]!.pool.query("SELECT count(*)::int AS n FROM schema_migrations");
      expect(rows[0].n).toBeGreaterThan(0);
      const { rows: dup } = await dbs[0]!.pool.query("SELECT version FROM schema_migrations GROUP BY version HAVING count(*) > 1");
      expect(dup).toEqual([]);
      await Promise.all(dbs.map((d) => d.close()));
    } finally {
      await first.drop();
    }
  });
});
