import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHANNELS, type Channel } from "../core/domain.js";
import { assessFatigueUnchecked } from "../tools/fatigue.js";
import { computeFeatureMatrix, FEATURE_NAMES, groupHistories } from "../tools/features.js";
import { loadCycleInputs } from "../workflows/cycle/cycle-data.js";
import { outcomeRecords } from "./experiments-repo.js";
import { packFeatures, saveTargets, unpackFeatures } from "./targets-repo.js";
import type { Db } from "./db.js";
import { loadHistories, type LoadedHistory } from "./history-repo.js";
import { migrate } from "./migrate.js";
import { BACKENDS, createTestDb, type TestDb } from "./test-db.js";

const AS_OF = new Date("2024-06-01T00:00:00Z");
// A category that, packed, would read as its own line plus a made-up one if records were not counted.
const WEIRD_CATEGORY = "garden\u001e1717000000000\u001f1\u001f1\u001f0\u001f\u001fcompleted\u001fo9\u001fhome";
const at = (iso: string) => new Date(iso).getTime();

async function seed(db: Db, weird: boolean): Promise<void> {
  await db.pool.query(
    `INSERT INTO customers (customer_id, signup_at, timezone) VALUES
       ('c1', '2023-01-01Z', 'UTC'), ('c2', '2023-02-01Z', 'Europe/Paris'), ('c3', '2023-03-01Z', 'UTC'), ('c4', '2024-07-01Z', 'UTC')`,
  );
  await db.pool.query(
    `INSERT INTO orders (order_id, customer_id, ordered_at, channel) VALUES
       ('o1', 'c1', '2024-01-05T10:00:00.123Z', 'web'), ('o2', 'c1', '2024-03-01T08:30:00Z', 'app'),
       ('o3', 'c2', '2024-05-31T23:59:59.999Z', 'store'), ('o4', 'c2', '2024-06-01T00:00:00Z', 'web'),
       ('o5', 'c3', '2022-01-01T00:00:00Z', 'web')`,
  );
  await db.pool.query(
    `INSERT INTO order_lines (order_id, line_no, category, quantity, unit_price, discount, margin, status) VALUES
       ('o1', 1, 'home', 2, 19.99, 1.5, 8.25, 'completed'), ('o1', 2, 'toys', 1, 5, 0, NULL, 'returned'),
       ('o2', 1, $1, 3, 12.3456, 0, 4, 'completed'), ('o2', 2, 'home', 1, 100, 10, NULL, 'cancelled'),
       ('o3', 1, 'apparel', 1, 49.5, 0, 20, 'completed'), ('o4', 1, 'apparel', 1, 10, 0, 1, 'completed'),
       ('o5', 1, 'home', 1, 10, 0, 1, 'completed')`,
    [weird ? WEIRD_CATEGORY : "garden"],
  );
  await db.pool.query(
    `INSERT INTO events (event_id, customer_id, occurred_at, type) VALUES
       ('e1', 'c1', '2024-05-30T12:00:00.5Z', 'view'), ('e2', 'c1', '2024-05-31T12:00:00Z', 'search'), ('e3', 'c2', '2024-06-02T00:00:00Z', 'view')`,
  );
  await db.pool.query(
    `INSERT INTO message_responses (message_id, type, customer_id, channel, occurred_at) VALUES
       ('m0', 'delivered', 'c1', 'email', '2024-01-10T09:00:00Z'),
       ('m1', 'delivered', 'c1', 'email', '2024-05-01T09:00:00Z'), ('m1', 'open', 'c1', 'email', '2024-05-01T10:00:00Z'),
       ($1, 'delivered', 'c3', 'sms', '2024-05-20T09:00:00Z')`,
    [weird ? "m\u001f2" : "m2"],
  );
}

function expected(weird: boolean): Record<string, Omit<LoadedHistory, "customer">> {
  return {
    c1: {
      orders: [
        {
          order_id: "o1",
          ordered_at: at("2024-01-05T10:00:00.123Z"),
          category: "home",
          quantity: 2,
          unit_price: 19.99,
          discount: 1.5,
          margin: 8.25,
          status: "completed",
        },
        {
          order_id: "o1",
          ordered_at: at("2024-01-05T10:00:00.123Z"),
          category: "toys",
          quantity: 1,
          unit_price: 5,
          discount: 0,
          margin: undefined,
          status: "returned",
        },
        {
          order_id: "o2",
          ordered_at: at("2024-03-01T08:30:00Z"),
          category: weird ? WEIRD_CATEGORY : "garden",
          quantity: 3,
          unit_price: 12.3456,
          discount: 0,
          margin: 4,
          status: "completed",
        },
        {
          order_id: "o2",
          ordered_at: at("2024-03-01T08:30:00Z"),
          category: "home",
          quantity: 1,
          unit_price: 100,
          discount: 10,
          margin: undefined,
          status: "cancelled",
        },
      ],
      eventTimes: Float64Array.of(at("2024-05-30T12:00:00.5Z"), at("2024-05-31T12:00:00Z")),
      responses: [
        { message_id: "m0", channel: "email", type: "delivered", occurred_at: at("2024-01-10T09:00:00Z") },
        { message_id: "m1", channel: "email", type: "delivered", occurred_at: at("2024-05-01T09:00:00Z") },
        { message_id: "m1", channel: "email", type: "open", occurred_at: at("2024-05-01T10:00:00Z") },
      ],
    },
    // o4 and e3 are at or after asOf; o5 is before the 730-day lookback.
    c2: {
      orders: [
        {
          order_id: "o3",
          ordered_at: at("2024-05-31T23:59:59.999Z"),
          category: "apparel",
          quantity: 1,
          unit_price: 49.5,
          discount: 0,
          margin: 20,
          status: "completed",
        },
      ],
      eventTimes: new Float64Array(0),
      responses: [],
    },
    c3: {
      orders: [],
      eventTimes: new Float64Array(0),
      responses: [{ message_id: weird ? "m\u001f2" : "m2", channel: "sms", type: "delivered", occurred_at: at("2024-05-20T09:00:00Z") }],
    },
  };
}

const sortTimes = (times: Float64Array) => Float64Array.from(times).sort();
const sortRows = <T>(rows: readonly T[]) => [...rows].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

async function loadAll(db: Db, pageSize?: number): Promise<Record<string, Omit<LoadedHistory, "customer">>> {
  const out: Record<string, Omit<LoadedHistory, "customer">> = {};
  for await (const page of loadHistories(db, AS_OF, pageSize ? { pageSize } : {})) {
    expect(page.histories.map((h) => h.customer.customer_id)).toEqual(page.customers.map((c) => c.customer_id));
    for (const h of page.histories)
      out[h.customer.customer_id] = { orders: sortRows(h.orders), eventTimes: sortTimes(h.eventTimes), responses: sortRows(h.responses) };
  }
  return out;
}

const sorted = (e: Record<string, Omit<LoadedHistory, "customer">>) =>
  Object.fromEntries(
    Object.entries(e).map(([k, v]) => [
      k,
      { orders: sortRows(v.orders), eventTimes: sortTimes(v.eventTimes), responses: sortRows(v.responses) },
    ]),
  );

for (const backend of BACKENDS) {
  describe(`loadHistories (${backend})`, () => {
    for (const weird of [false, true]) {
      describe(weird ? "values holding the packing's separators (read row by row instead)" : "ordinary values", () => {
        let t: TestDb;
        beforeAll(async () => {
          t = await createTestDb(backend);
          await seed(t.db, weird);
        }, 60_000);
        afterAll(async () => {
          await t?.drop();
        });

        it("streams every customer signed up before asOf with their rows from before it, times in epoch ms", async () => {
          expect(await loadAll(t.db)).toEqual(sorted(expected(weird)));
          // Pages of any size give the same.
          expect(await loadAll(t.db, 1)).toEqual(sorted(expected(weird)));
        });

        it("gives the connection back when the reader stops early", async () => {
          for await (const page of loadHistories(t.db, AS_OF, { pageSize: 1 })) {
            expect(page.customers).toHaveLength(1);
            break;
          }
          const { rows } = await t.db.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM customers");
          expect(rows[0]!.n).toBe(4);
        });

        it("gives the same feature vectors as the history read one row per order line, event and response", async () => {
          // The reference: every row as an object, times as the driver's Dates, grouped in memory.
          const q = (sql: string) => t.db.pool.query(sql).then((r) => r.rows);
          const since = new Date(AS_OF.getTime() - 730 * 86_400_000).toISOString();
          const window = `< '${AS_OF.toISOString()}' AND %s >= '${since}'`;
          const reference = groupHistories({
            customers: await q(
              `SELECT customer_id, signup_at, timezone FROM customers WHERE signup_at < '${AS_OF.toISOString()}' ORDER BY customer_id`,
            ),
            orders: await q(
              `SELECT o.customer_id, o.order_id, o.ordered_at, l.category, l.quantity, l.unit_price, l.discount, l.margin, l.status
               FROM orders o JOIN order_lines l USING (order_id) WHERE o.ordered_at ${window.replace("%s", "o.ordered_at")}`,
            ).then((rows) => rows.map((r) => ({ ...r, margin: r.margin ?? undefined }))),
            events: await q(`SELECT customer_id, occurred_at FROM events WHERE occurred_at ${window.replace("%s", "occurred_at")}`),
            responses: await q(
              `SELECT customer_id, message_id, channel, type, occurred_at FROM message_responses WHERE occurred_at ${window.replace("%s", "occurred_at")}`,
            ),
          });
          const loaded: LoadedHistory[] = [];
          for await (const page of loadHistories(t.db, AS_OF, { pageSize: 2 })) loaded.push(...page.histories);
          // Today's vectors and those 90 days back (churn's training rows), as the cycle computes them.
          for (const asOf of [AS_OF, new Date(AS_OF.getTime() - 90 * 86_400_000)]) {
            const fromLoaded = computeFeatureMatrix(loaded, asOf);
            const fromRows = computeFeatureMatrix(reference, asOf);
            expect(fromLoaded.customer_ids).toEqual(fromRows.customer_ids);
            expect(Array.from(fromLoaded.values)).toEqual(Array.from(fromRows.values));
          }
          // Not vacuous: events count in the vectors (c1's two events fall in the 30 days before AS_OF).
          expect(computeFeatureMatrix(loaded, AS_OF).values[FEATURE_NAMES.indexOf("events_30d")]).toBe(2);
        });

        it("assesses fatigue on every customer's responses as the tool does (those outside its lookback change nothing)", async () => {
          const inputs = await loadCycleInputs(t.db, AS_OF);
          const loaded: LoadedHistory[] = [];
          for await (const page of loadHistories(t.db, AS_OF)) loaded.push(...page.histories);
          const direct = assessFatigueUnchecked({
            asOf: AS_OF.getTime(),
            customers: loaded.map((h) => ({
              customerId: h.customer.customer_id,
              events: h.responses.map((r) => ({ channel: r.channel as Channel, type: r.type, at: r.occurred_at })),
            })),
          });
          expect(Array.from(inputs.fatigue.score)).toEqual(direct.map((c) => c.fatigue));
          expect(inputs.fatigue.strategy).toEqual(direct.map((c) => c.strategy));
          expect(inputs.fatigue.allowedChannels).toEqual(direct.map((c) => c.allowedChannels));
          expect(Array.from(inputs.fatigue.engagement)).toEqual(
            direct.flatMap((c) => CHANNELS.map((ch) => c.channels.find((x) => x.channel === ch)?.engagement ?? Number.NaN)),
          );
        });

        it("derives each customer's top category from the completed lines", async () => {
          const inputs = await loadCycleInputs(t.db, AS_OF);
          expect(inputs.customerIds).toEqual(["c1", "c2", "c3"]);
          // c1: home 2 × 19.99 = 39.98 against garden 3 × 12.3456 = 37.04 (the cancelled home line does not count).
          expect(inputs.topCategory).toEqual(["home", "apparel", null]);
        });
      });
    }
  });
}

for (const backend of BACKENDS) {
  describe(`cycle targets' feature vectors (${backend})`, () => {
    it("migration 003 turns stored real[] vectors into packed float32, read back as the same float32 values", async () => {
      const { db, drop } = await createTestDb(backend, { migrateTo: 2 });
      try {
        await db.pool.query("INSERT INTO cycles (cycle_id, status, requested_by, as_of) VALUES ('c', 'done', 'ann', now())");
        await db.pool.query(
          `INSERT INTO cycle_targets (cycle_id, customer_id, segment_id, strategy, decision, features) VALUES
             ('c', 'u1', 's', 'winback', 'contact', '{0.1, 2.5, -3, 1e-7, 123456.7}'), ('c', 'u2', 's', 'winback', 'skip', NULL)`,
        );
        await migrate(db);
        const { rows } = await db.pool.query<{ customer_id: string; features: Buffer | null }>(
          "SELECT customer_id, features FROM cycle_targets ORDER BY customer_id",
        );
        expect(unpackFeatures(rows[0]!.features!)).toEqual([0.1, 2.5, -3, 1e-7, 123456.7].map(Math.fround));
        expect(rows[1]!.features).toBeNull();
      } finally {
        await drop();
      }
    });

    it("saveTargets stores the vectors (float32) and the top category once per cycle; learning reads them back", async () => {
      const t = await createTestDb(backend);
      try {
        const db = t.db;
        await db.pool.query("INSERT INTO cycles (cycle_id, status, requested_by, as_of) VALUES ('c', 'running', 'ann', now())");
        const target = (customerId: string, features: number[], decision: "contact" | "skip") => ({
          customerId,
          segmentId: "s1",
          strategy: "winback",
          channel: "email" as const,
          offerDepth: 0.1,
          campaignId: "c.s1.winback.email",
          decision,
          predictedUplift: 0.02,
          expectedValue: Number.NaN,
          reasons: [{ code: "x", message: 'it\'s "quoted" \\ and\nmultiline' }],
          features,
          topCategory: customerId === "u1" ? "home" : null,
        });
        await saveTargets(db, "c", [target("u1", [0.1, 1 / 3, 1e30], "contact"), target("u2", [0, -0, 7], "skip")]);
        // A second save of the same cycle (a resumed plan) keeps the first.
        await saveTargets(db, "c", [target("u1", [9, 9, 9], "skip")]);
        const { rows } = await db.pool.query(
          "SELECT customer_id, decision, top_category, reasons, expected_value, features FROM cycle_targets ORDER BY customer_id",
        );
        expect(rows.map((r) => [r.customer_id, r.decision, r.top_category])).toEqual([
          ["u1", "contact", "home"],
          ["u2", "skip", null],
        ]);
        expect(rows[0].reasons).toEqual([{ code: "x", message: 'it\'s "quoted" \\ and\nmultiline' }]);
        expect(Number.isNaN(rows[0].expected_value)).toBe(true);
        expect(rows[0].features).toEqual(packFeatures([0.1, 1 / 3, 1e30]));

        await db.pool.query(
          "INSERT INTO experiments (experiment_id, cycle_id, name, salt, holdout_shares) VALUES ('e', 'c', 'e', 's', '{}')",
        );
        await db.pool.query(
          "INSERT INTO holdout_assignments (experiment_id, customer_id, segment_id, arm, bucket) VALUES ('e', 'u1', 's1', 'treatment', 0.5)",
        );
        await db.pool.query(
          "INSERT INTO experiment_outcomes (experiment_id, customer_id, converted, observed_at) VALUES ('e', 'u1', true, now())",
        );
        const [record] = await outcomeRecords(db, "c", "e");
        expect(record!.features).toEqual([0.1, 1 / 3, 1e30].map(Math.fround));
        await expect(saveTargets(db, "missing", [target("u1", [1], "skip")])).rejects.toThrow(/cycle missing does not exist/);
      } finally {
        await t.drop();
      }
    });
  });
}
