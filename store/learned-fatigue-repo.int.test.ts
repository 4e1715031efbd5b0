import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fatigueEvidence, latestLearnedFatigue, saveLearnedFatigue } from "./learned-fatigue-repo.js";
import { createTestDb, type TestDb } from "./test-db.js";

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb("postgres");
  const q = (sql: string) => t.db.pool.query(sql);
  await q(`INSERT INTO cycles (cycle_id, status, requested_by, as_of) VALUES ('cy1', 'done', 'test', '2025-01-01T00:00:00Z')`);
  await q(`INSERT INTO cycle_targets (cycle_id, customer_id, segment_id, strategy, channel, campaign_id, decision) VALUES
    ('cy1', 'a', 's1', 'targeted_promo', 'email', 'k1', 'contact'), ('cy1', 'b', 's1', 'targeted_promo', 'email', 'k1', 'contact'),
    ('cy1', 'c', 's1', 'targeted_promo', 'email', 'k1', 'contact'), ('cy1', 'd', 's2', 'cross_sell', 'sms', 'k2', 'contact')`);
  await q(`INSERT INTO messages (message_id, dedupe_key, cycle_id, campaign_id, customer_id, channel, strategy, status) VALUES
    ('m1', 'k1a', 'cy1', 'k1', 'a', 'email', 'targeted_promo', 'sent'), ('m2', 'k1b', 'cy1', 'k1', 'b', 'email', 'targeted_promo', 'sent'),
    ('m3', 'k1c', 'cy1', 'k1', 'c', 'email', 'targeted_promo', 'queued'), ('m4', 'k2d', 'cy1', 'k2', 'd', 'sms', 'cross_sell', 'sent')`);
  await q(`INSERT INTO message_responses (message_id, type, customer_id, channel, occurred_at) VALUES
    ('m1', 'conversion', 'a', 'email', '2025-01-02T00:00:00Z'), ('m1', 'open', 'a', 'email', '2025-01-02T00:00:00Z'),
    ('m2', 'unsubscribe', 'b', 'email', '2025-01-02T00:00:00Z'), ('m4', 'unsubscribe', 'd', 'sms', '2025-01-02T00:00:00Z')`);
});
afterAll(() => t.drop());

describe("learned fatigue store", () => {
  it("counts a cycle's sent messages, unsubscribes and conversions per segment and channel", async () => {
    expect(await fatigueEvidence(t.db, "cy1")).toEqual([
      { segmentId: "s1", channel: "email", sends: 2, unsubscribes: 1, responses: 1 },
      { segmentId: "s2", channel: "sms", sends: 1, unsubscribes: 1, responses: 0 },
    ]);
    expect(await fatigueEvidence(t.db, "other")).toEqual([]);
  });

  it("saves once per cycle and segment and reads the newest per segment", async () => {
    const caps = (email: number) => ({ email, sms: 2, push: 2, in_app: null });
    expect(
      await saveLearnedFatigue(t.db, "cy1", [{ segmentId: "s1", cooldownThreshold: 0.65, rollingCaps: caps(4), evidence: { n: 1 } }]),
    ).toBe(1);
    expect(await saveLearnedFatigue(t.db, "cy1", [{ segmentId: "s1", cooldownThreshold: 0.1, rollingCaps: caps(1), evidence: {} }])).toBe(
      0,
    );
    expect(await saveLearnedFatigue(t.db, "cy2", [{ segmentId: "s1", cooldownThreshold: 0.6, rollingCaps: caps(3), evidence: {} }])).toBe(
      1,
    );
    const latest = await latestLearnedFatigue(t.db);
    expect(latest.get("s1")).toEqual({ cycleId: "cy2", cooldownThreshold: 0.6, rollingCaps: caps(3) });
    expect(latest.has("s2")).toBe(false);
  });
});
