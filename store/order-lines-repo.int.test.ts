import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { skuLinesBetween } from "./order-lines-repo.js";
import { createTestDb, type TestDb } from "./test-db.js";

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb("postgres");
  await t.db.pool.query(
    `INSERT INTO orders (order_id, customer_id, ordered_at, channel) VALUES
       ('o1', 'c1', '2025-01-10T10:00:00Z', 'web'), ('o2', 'c2', '2025-02-10T10:00:00Z', 'store'), ('o3', 'c1', '2025-03-10T10:00:00Z', 'app')`,
  );
  await t.db.pool.query(
    `INSERT INTO order_lines (order_id, line_no, sku, category, quantity, unit_price, status) VALUES
       ('o1', 1, 'HOM-001', 'home', 1, 10, 'completed'), ('o1', 2, NULL, 'home', 1, 5, 'completed'),
       ('o2', 1, 'APP-002', 'apparel', 1, 20, 'cancelled'), ('o2', 2, 'BOO-003', 'books', 2, 8, 'returned'),
       ('o3', 1, 'TOY-004', 'toys', 1, 30, 'completed')`,
  );
});
afterAll(() => t.drop());

describe("skuLinesBetween", () => {
  it("returns lines with a SKU in the period, without cancelled ones", async () => {
    const lines = await skuLinesBetween(t.db, new Date("2025-01-01T00:00:00Z"), new Date("2025-03-10T10:00:00Z"));
    expect(lines).toEqual([
      { customerId: "c1", sku: "HOM-001", category: "home" },
      { customerId: "c2", sku: "BOO-003", category: "books" },
    ]);
  });
});
