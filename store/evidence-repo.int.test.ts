import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engagementByLocalHour } from "./evidence-repo.js";
import { BACKENDS, createTestDb, type TestDb } from "./test-db.js";

const SINCE = new Date("2025-01-01T00:00:00Z");
const AS_OF = new Date("2025-03-01T00:00:00Z");
const ZONES = ["UTC", "Europe/Paris", "America/New_York", "Asia/Tokyo"];

/** 30 customers in four time zones; responses and orders inside and outside the window, of every type. */
function world() {
  let seed = 5;
  const rnd = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  const customers = Array.from({ length: 30 }, (_, c) => ({ id: `k${String(c).padStart(2, "0")}`, tz: ZONES[c % 4]! }));
  const responses: { message: string; type: string; customer: string; at: string }[] = [];
  const orders: { order: string; customer: string; at: string }[] = [];
  const at = () => new Date(SINCE.getTime() + (rnd() * 80 - 10) * 86_400_000).toISOString(); // some before, some after
  for (const c of customers.slice(0, 26)) {
    for (let m = 0; m < Math.floor(rnd() * 6); m++)
      for (const type of ["delivered", "open", "click", "conversion", "unsubscribe"]) {
        if (rnd() < 0.5) responses.push({ message: `${c.id}-m${m}`, type, customer: c.id, at: at() });
      }
    for (let o = 0; o < Math.floor(rnd() * 4); o++) orders.push({ order: `${c.id}-o${o}`, customer: c.id, at: at() });
  }
  return { customers, responses, orders };
}

/** The histograms computed here, one event at a time, with Intl for the local hour. */
function expected(w: ReturnType<typeof world>) {
  const tz = new Map(w.customers.map((c) => [c.id, c.tz]));
  const out = new Map<string, { opens: number[]; clicks: number[]; purchases: number[] }>();
  const add = (customer: string, when: string, kind: "opens" | "clicks" | "purchases") => {
    const t = new Date(when);
    if (!(t >= SINCE && t < AS_OF)) return;
    const hour = Number(new Intl.DateTimeFormat("en-GB", { hour: "2-digit", hourCycle: "h23", timeZone: tz.get(customer)! }).format(t));
    let h = out.get(customer);
    if (!h) out.set(customer, (h = { opens: Array(24).fill(0), clicks: Array(24).fill(0), purchases: Array(24).fill(0) }));
    h[kind][hour]! += 1;
  };
  for (const r of w.responses) {
    if (r.type === "open") add(r.customer, r.at, "opens");
    else if (r.type === "click" || r.type === "conversion") add(r.customer, r.at, "clicks");
  }
  for (const o of w.orders) add(o.customer, o.at, "purchases");
  return out;
}

for (const backend of BACKENDS) {
  describe(`engagement by local hour (${backend})`, () => {
    let t: TestDb;
    const w = world();
    beforeAll(async () => {
      t = await createTestDb(backend);
      const q = (sql: string, cols: unknown[][]) => t.db.pool.query(sql, cols);
      await q(
        `INSERT INTO customers (customer_id, signup_at, timezone) SELECT id, '2024-01-01Z', tz FROM unnest($1::text[], $2::text[]) AS u(id, tz)`,
        [w.customers.map((c) => c.id), w.customers.map((c) => c.tz)],
      );
      await q(
        `INSERT INTO message_responses (message_id, type, customer_id, channel, occurred_at)
         SELECT m, ty, c, 'email', at::timestamptz FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS u(m, ty, c, at)`,
        [
          w.responses.map((r) => r.message),
          w.responses.map((r) => r.type),
          w.responses.map((r) => r.customer),
          w.responses.map((r) => r.at),
        ],
      );
      await q(
        `INSERT INTO orders (order_id, customer_id, ordered_at, channel) SELECT o, c, at::timestamptz, 'web' FROM unnest($1::text[], $2::text[], $3::text[]) AS u(o, c, at)`,
        [w.orders.map((o) => o.order), w.orders.map((o) => o.customer), w.orders.map((o) => o.at)],
      );
    }, 120_000);
    afterAll(() => t.drop());

    it("counts opens, clicks (with conversions) and orders per customer-local hour in the window", async () => {
      const want = expected(w);
      expect(want.size).toBeGreaterThan(15);
      const got = await engagementByLocalHour(t.db, SINCE, AS_OF);
      const sorted = (m: Map<string, unknown>) => new Map([...m].sort(([a], [b]) => a.localeCompare(b)));
      expect(sorted(got)).toEqual(sorted(want));
    });
  });
}
