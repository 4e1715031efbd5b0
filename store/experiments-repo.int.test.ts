import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureExperiment, measureOutcomes, outcomeRecords, saveAssignments } from "./experiments-repo.js";
import { BACKENDS, createTestDb, type TestDb } from "./test-db.js";

const FROM = new Date("2024-06-01T00:00:00Z");
const TO = new Date("2024-06-08T00:00:00Z");

for (const backend of BACKENDS) {
  describe(`measureOutcomes on ${backend}`, () => {
    let t: TestDb;
    beforeAll(async () => {
      t = await createTestDb(backend);
      const db = t.db;
      await db.pool.query(
        `INSERT INTO customers (customer_id, signup_at, timezone) VALUES ('c1', '2023-01-01Z', 'UTC'), ('c2', '2023-01-01Z', 'UTC'), ('c3', '2023-01-01Z', 'UTC')`,
      );
      await db.pool.query(
        `INSERT INTO orders (order_id, customer_id, ordered_at, channel) VALUES
           ('o1', 'c1', '2024-06-02T10:00:00Z', 'web'), ('o2', 'c1', '2024-05-20T10:00:00Z', 'web'), ('o3', 'c2', '2024-06-03T10:00:00Z', 'app')`,
      );
      // Margins are net of the line's discount, as ingested (the simulator writes them so).
      await db.pool.query(
        `INSERT INTO order_lines (order_id, line_no, category, quantity, unit_price, discount, margin, status) VALUES
           ('o1', 1, 'home', 2, 50, 15, 20, 'completed'), ('o1', 2, 'toys', 1, 10, 0, 3, 'returned'),
           ('o2', 1, 'home', 1, 80, 0, 30, 'completed'), ('o3', 1, 'books', 1, 25, 5, NULL, 'completed')`,
      );
      await ensureExperiment(db, { experimentId: "x1", name: "x1", source: "pulse", salt: "s", holdoutShares: { all: 0.2 } });
      await saveAssignments(db, "x1", [
        { customerId: "c1", segmentId: "seg-1", arm: "treatment", bucket: 0.5 },
        { customerId: "c2", segmentId: "seg-1", arm: "treatment", bucket: 0.6 },
        { customerId: "c3", segmentId: "seg-1", arm: "holdout", bucket: 0.1 },
      ]);
    });
    afterAll(async () => t?.drop());

    it("counts the window's completed lines at their margin, which is already net of the discount", async () => {
      expect(await measureOutcomes(t.db, "x1", FROM, TO)).toBe(3);
      const byCustomer = new Map((await outcomeRecords(t.db, "no-cycle", "x1")).map((r) => [r.customerId, r]));
      // c1: one completed line (100 gross, 15 off, 20 margin) and a returned one; the order before the window is not counted.
      expect(byCustomer.get("c1")).toMatchObject({ converted: true, revenue: 85 - 10, margin: 20 });
      // c2: a line without a margin converts, with no margin.
      expect(byCustomer.get("c2")).toMatchObject({ converted: true, revenue: 20, margin: 0 });
      expect(byCustomer.get("c3")).toMatchObject({ converted: false, revenue: 0, margin: 0, arm: "holdout" });
    });
  });
}
