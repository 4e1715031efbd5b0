import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FORMATS, type IngestKind } from "../ingest/formats.js";
import { ARCHETYPES, type Archetype } from "./archetypes.js";
import { generateWorld, type GenerateWorldResult } from "./generate-world.js";
import { groundTruth } from "./ground-truth.js";
import { HISTORY_FILE_KINDS } from "./csv-sink.js";
import { cleanup, readCsv, sha256File, tempDir } from "./test-helpers.js";
import { World } from "./world.js";
import { loadWorld } from "./world-manifest.js";

const CUSTOMERS = 2500;
const dirs: string[] = [];
let a: GenerateWorldResult;
let aDir: string;

function hashes(dir: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(dir)
      .sort()
      .map((f) => [f, sha256File(join(dir, f))]),
  );
}

beforeAll(async () => {
  aDir = tempDir("gen-a");
  dirs.push(aDir);
  a = await generateWorld({ customers: CUSTOMERS, seed: 11, out: aDir });
});
afterAll(() => dirs.forEach(cleanup));

describe("generateWorld determinism", () => {
  it("writes byte-identical files for the same seed and different ones for another seed", async () => {
    const bDir = tempDir("gen-b");
    const cDir = tempDir("gen-c");
    dirs.push(bDir, cDir);
    await generateWorld({ customers: CUSTOMERS, seed: 11, out: bDir });
    await generateWorld({ customers: CUSTOMERS, seed: 12, out: cDir });
    const ha = hashes(aDir);
    expect(Object.keys(ha)).toEqual(["consents.csv", "customers.csv", "events.csv", "manifest.json", "orders.csv", "responses.csv"]);
    expect(hashes(bDir)).toEqual(ha);
    const hc = hashes(cDir);
    for (const f of ["customers.csv", "consents.csv", "orders.csv", "events.csv", "responses.csv", "manifest.json"])
      expect(hc[f]).not.toBe(ha[f]);
  });
});

describe("generated files", () => {
  const parsed = new Map<IngestKind, ReturnType<typeof readCsv>>();
  beforeAll(() => {
    for (const kind of HISTORY_FILE_KINDS) parsed.set(kind, readCsv(join(aDir, `${kind}.csv`)));
  });

  it("use the exact column order and every row passes the ingestion schema", () => {
    for (const kind of HISTORY_FILE_KINDS) {
      const { header, rows } = parsed.get(kind)!;
      expect(header).toEqual([...FORMATS[kind].columns]);
      expect(rows.length).toBe(a.manifest.rowCounts[kind]);
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) {
        const result = FORMATS[kind].schema.safeParse(row);
        if (!result.success) throw new Error(`${kind} row ${JSON.stringify(row)}: ${result.error.message}`);
      }
    }
  });

  it("never writes raw contact details, only SHA-256 hashes", () => {
    const text = readFileSync(join(aDir, "customers.csv"), "utf8");
    expect(text).not.toContain("@");
    for (const row of parsed.get("customers")!.rows) {
      if (row.email_hash) expect(row.email_hash).toMatch(/^[0-9a-f]{64}$/);
      if (row.phone_hash) expect(row.phone_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(["18-24", "25-34", "35-44", "45-54", "55-64", "65+"]).toContain(row.age_band);
    }
  });

  it("keeps timestamps inside history and the manifest's now", () => {
    const start = Date.parse(a.manifest.historyStart);
    const now = Date.parse(a.manifest.now);
    expect(now).toBe(a.world.now.getTime());
    const outside = (rows: Record<string, string>[], column: string) =>
      rows.filter((r) => !(Date.parse(r[column]) >= start && Date.parse(r[column]) < now)).length;
    expect(outside(parsed.get("orders")!.rows, "ordered_at")).toBe(0);
    expect(outside(parsed.get("events")!.rows, "occurred_at")).toBe(0);
    expect(outside(parsed.get("responses")!.rows, "occurred_at")).toBe(0);
  });

  it("has realistic order, consent, event and response structure", () => {
    const orders = parsed.get("orders")!.rows;
    const linesPerOrder = new Map<string, number>();
    for (const r of orders) linesPerOrder.set(r.order_id, (linesPerOrder.get(r.order_id) ?? 0) + 1);
    expect([...linesPerOrder.values()].some((n) => n > 1)).toBe(true);
    expect(new Set(orders.map((r) => r.channel))).toEqual(new Set(["web", "app", "store"]));
    expect(new Set(orders.map((r) => r.status))).toEqual(new Set(["completed", "returned", "cancelled"]));
    expect(orders.some((r) => Number(r.discount) > 0)).toBe(true);

    const consents = parsed.get("consents")!.rows;
    expect(consents.filter((r) => r.status === "revoked" && r.source === "unsubscribe").length).toBeGreaterThan(0);
    expect(consents.filter((r) => r.status === "revoked" && r.source === "preference_center").length).toBeGreaterThan(0);

    const events = parsed.get("events")!.rows;
    expect(new Set(events.map((r) => r.type))).toEqual(new Set(["product_view", "search", "cart_add", "cart_remove", "app_session"]));
    const perCustomerMonth = events.length / CUSTOMERS / 12;
    expect(perCustomerMonth).toBeGreaterThan(1);
    expect(perCustomerMonth).toBeLessThan(8);

    const responses = parsed.get("responses")!.rows;
    expect(new Set(responses.map((r) => r.type))).toEqual(new Set(["delivered", "open", "click", "conversion", "unsubscribe", "bounce"]));
    // A message id belongs to one customer and one channel, and is delivered at most once.
    const owner = new Map<string, string>();
    const delivered = new Set<string>();
    let conflicts = 0;
    for (const r of responses) {
      const key = `${r.customer_id}|${r.channel}`;
      if ((owner.get(r.message_id) ?? key) !== key) conflicts++;
      owner.set(r.message_id, key);
      if (r.type === "delivered") {
        if (delivered.has(r.message_id)) conflicts++;
        delivered.add(r.message_id);
      }
    }
    expect(conflicts).toBe(0);
    const emailDelivered = responses.filter((r) => r.channel === "email" && r.type === "delivered").length;
    const emailOpens = responses.filter((r) => r.channel === "email" && r.type === "open").length;
    expect(emailOpens / emailDelivered).toBeGreaterThan(0.1);
    expect(emailOpens / emailDelivered).toBeLessThan(0.35);
  });

  it("respects archetype proportions, and Premium Loyalists order more than Dormant Loyalists", () => {
    const truth = groundTruth(a.world);
    const counts = new Map<Archetype, number>();
    for (const arch of truth.archetypes().values()) counts.set(arch, (counts.get(arch) ?? 0) + 1);
    for (const arch of ARCHETYPES) {
      expect(Math.abs((counts.get(arch) ?? 0) / CUSTOMERS - a.manifest.params.archetypeMix[arch])).toBeLessThan(0.03);
    }
    const ordersBy = new Map<string, Set<string>>();
    for (const r of parsed.get("orders")!.rows) {
      const set = ordersBy.get(r.customer_id) ?? new Set<string>();
      set.add(r.order_id);
      ordersBy.set(r.customer_id, set);
    }
    const mean = (arch: Archetype) => {
      const ids = [...truth.archetypes()].filter(([, x]) => x === arch).map(([id]) => id);
      return ids.reduce((s, id) => s + (ordersBy.get(id)?.size ?? 0), 0) / ids.length;
    };
    expect(mean("premium_loyalist")).toBeGreaterThan(1.3 * mean("dormant_loyalist"));
    expect(mean("dormant_loyalist")).toBeGreaterThan(mean("hibernating"));
  });
});

describe("archetype mix", () => {
  it("follows a custom mix", async () => {
    const world = await World.create({ customers: 3000, seed: 5, archetypeMix: { coupon_floater: 0.5, premium_loyalist: 0.5 } });
    const arch = [...groundTruth(world).archetypes().values()];
    const floaters = arch.filter((x) => x === "coupon_floater").length / arch.length;
    expect(floaters).toBeGreaterThan(0.47);
    expect(floaters).toBeLessThan(0.53);
    expect(arch.every((x) => x === "coupon_floater" || x === "premium_loyalist")).toBe(true);
  });

  it("rejects bad parameters before writing anything", async () => {
    const dir = tempDir("bad");
    dirs.push(dir);
    await expect(generateWorld({ customers: 10, seed: 1, start: "2024-02-30", out: join(dir, "x") })).rejects.toThrow(/start/);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe("reloading", () => {
  it("loadWorld(dir) rebuilds the same world generateWorld returned", async () => {
    const reloaded = await loadWorld(aDir);
    expect(reloaded.now).toEqual(a.world.now);
    const truth = groundTruth(reloaded);
    const messages = reloaded
      .customerIds()
      .filter((id) => truth.hasConsent(id, "push"))
      .map((customerId) => ({
        messageId: `r-${customerId}`,
        customerId,
        channel: "push" as const,
        strategy: "reengage" as const,
        offerDepth: 0.1,
        sentAt: reloaded.now,
      }));
    const to = new Date(reloaded.now.getTime() + 7 * 86_400_000);
    expect(messages.length).toBeGreaterThan(100);
    expect(reloaded.step({ to, messages })).toEqual(a.world.step({ to, messages }));
  });
});
