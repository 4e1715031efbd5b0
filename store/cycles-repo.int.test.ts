import { afterEach, describe, expect, it } from "vitest";
import type { Campaign } from "../core/domain.js";
import { campaignsOf, createCycle, cycleAsOf, saveCampaigns } from "./cycles-repo.js";
import { migrate } from "./migrate.js";
import { BACKENDS, createTestDb, type TestDb } from "./test-db.js";

const campaign = (id: string, overrides: Partial<Campaign> = {}): Campaign => ({
  campaignId: id,
  segmentId: `seg-${id}`,
  segmentName: `Segment ${id}`,
  strategy: "winback",
  channel: "email",
  offerDepth: 0.15,
  sendHourLocal: 10,
  source: "offline",
  variants: [
    { variantId: `${id}.1`, fields: { subject: "Hello", body: "Come back" }, prompt: { id: "copywriter", version: 2, hash: "abc" } },
  ],
  ...overrides,
});

describe.each(BACKENDS)("campaigns of a cycle (%s)", (backend) => {
  let testDb: TestDb | undefined;
  afterEach(async () => {
    await testDb?.drop();
    testDb = undefined;
  });

  it("come back typed and in the plan's order; saving again replaces them", async () => {
    testDb = await createTestDb(backend);
    const { db } = testDb;
    const asOf = new Date("2026-03-02T09:00:00Z");
    await createCycle(db, { cycleId: "c-1", requestedBy: "ann", asOf });
    expect(await cycleAsOf(db, "c-1")).toEqual(asOf);
    expect(await cycleAsOf(db, "c-none")).toBeUndefined();
    expect(await campaignsOf(db, "c-1")).toEqual([]);

    const first = [campaign("b"), campaign("a", { channel: "sms", offerDepth: 0, sendHourLocal: 0, source: "llm", variants: [] })];
    await saveCampaigns(db, "c-1", first);
    expect(await campaignsOf(db, "c-1")).toEqual(first);

    const second = [
      campaign("c", { offerDepth: 0.2, category: "grocery", sendFrom: "2026-03-09T00:00:00.000Z", sendUntil: "2026-03-16T00:00:00.000Z" }),
      campaign("d"),
    ];
    await saveCampaigns(db, "c-1", second);
    expect(await campaignsOf(db, "c-1")).toEqual(second);
    // The brief's fields are typed columns; the variants column holds the variants alone.
    const { rows } = await db.pool.query(
      "SELECT category, send_from, send_until, jsonb_typeof(variants) AS variants FROM cycle_campaigns WHERE campaign_id = 'c'",
    );
    expect(rows).toEqual([
      { category: "grocery", send_from: new Date("2026-03-09T00:00:00Z"), send_until: new Date("2026-03-16T00:00:00Z"), variants: "array" },
    ]);
  }, 60_000);

  it("migration 004 moves campaigns stored in cycles.plan into cycle_campaigns", async () => {
    testDb = await createTestDb(backend, { migrateTo: 3 });
    const { db } = testDb;
    const stored = [campaign("x"), campaign("y", { channel: "push", offerDepth: 0.1 })];
    await db.pool.query(
      "INSERT INTO cycles (cycle_id, status, requested_by, as_of, plan) VALUES ('c-old', 'activated', 'ann', now(), $1::jsonb), ('c-empty', 'running', 'ann', now(), NULL)",
      [JSON.stringify({ campaigns: stored })],
    );
    await migrate(db);
    expect(await campaignsOf(db, "c-old")).toEqual(stored);
    expect(await campaignsOf(db, "c-empty")).toEqual([]);
  }, 60_000);

  it("migration 009 moves a brief's category and window start out of the variants document into their columns", async () => {
    testDb = await createTestDb(backend, { migrateTo: 8 });
    const { db } = testDb;
    await createCycle(db, { cycleId: "c-old", requestedBy: "ann", asOf: new Date("2026-03-02T09:00:00Z") });
    const withBrief = campaign("x", { category: "grocery", sendFrom: "2026-03-09T00:00:00.000Z" });
    const plain = campaign("y");
    await db.pool.query(
      `INSERT INTO cycle_campaigns (cycle_id, campaign_id, position, segment_id, segment_name, strategy, channel, offer_depth, send_hour_local, source, variants)
       VALUES ('c-old', 'x', 0, 'seg-x', 'Segment x', 'winback', 'email', 0.15, 10, 'offline', $1::jsonb),
              ('c-old', 'y', 1, 'seg-y', 'Segment y', 'winback', 'email', 0.15, 10, 'offline', $2::jsonb)`,
      [JSON.stringify({ variants: withBrief.variants, category: "grocery", sendFrom: withBrief.sendFrom }), JSON.stringify(plain.variants)],
    );
    await migrate(db);
    expect(await campaignsOf(db, "c-old")).toEqual([withBrief, plain]);
  }, 60_000);
});
