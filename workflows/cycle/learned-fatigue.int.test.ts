import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../core/clock.js";
import { createSimulatorConnector } from "../../connectors/simulator.js";
import { currentGuardrailPolicy } from "../../guardrails/guardrail-policy-store.js";
import { campaignsOf } from "../../store/cycles-repo.js";
import { latestLearnedFatigue, saveLearnedFatigue } from "../../store/learned-fatigue-repo.js";
import { createTestDb, type TestDb } from "../../store/test-db.js";
import { DEMO_SETTINGS, setDemoPolicy } from "../demo.js";
import { learnSegmentFatigue } from "./learn-fatigue.js";
import { createCycleRuntime } from "../runtime.js";
import { activateShard } from "./activation-shard.js";
import { sendMessage } from "./delivery.js";
import { auditEntries, messagesOf, RecordingRunner, testConfig } from "./testing/cycle-test-kit.js";
import { loadSimulatedWorld, type SimulatedWorld } from "./testing/simulated-world.js";

const DAY = 86_400_000;

describe("fatigue learned per segment, used by the next cycle (real PostgreSQL)", () => {
  let testDb: TestDb;
  let sim: SimulatedWorld;
  beforeAll(async () => {
    testDb = await createTestDb("postgres");
    sim = await loadSimulatedWorld(testDb.db, { customers: 400, seed: 41, months: 6 });
  }, 120_000);
  afterAll(async () => {
    await sim?.cleanup();
    await testDb?.drop();
  }, 60_000);

  it("opt-outs outweighing responses lower a segment's cap and threshold within the policy, audited; the next plan applies them", async () => {
    const db = testDb.db;
    const runner = new RecordingRunner();
    const clock = new ManualClock(sim.asOf);
    const { deps, service } = await createCycleRuntime(testConfig(), { db, runner, clock, connector: createSimulatorConnector() });
    await setDemoPolicy(db);
    const { cycleId, state } = await service.start({ requestedBy: "ann", asOf: sim.asOf, settings: DEMO_SETTINGS });
    expect(state.status).toBe("activated");
    clock.set(sim.asOf.getTime() + 2 * DAY);
    for (const job of runner.jobs.filter((j) => j.queue === "activation"))
      await activateShard(deps, job.data as Parameters<typeof activateShard>[1]);
    const messages = await messagesOf(db, cycleId);
    for (const m of messages) await sendMessage(deps, { messageId: m.message_id });
    const sent = (await messagesOf(db, cycleId)).filter((m) => m.status === "sent");
    const segmentOf = new Map((await campaignsOf(db, cycleId)).map((c) => [c.campaignId, c.segmentId]));
    const counts = new Map<string, number>();
    for (const m of sent) counts.set(segmentOf.get(m.campaign_id)!, (counts.get(segmentOf.get(m.campaign_id)!) ?? 0) + 1);
    const [segment] = [...counts].sort((a, b) => b[1] - a[1])[0]!;
    const ofSegment = sent.filter((m) => segmentOf.get(m.campaign_id) === segment);
    // The segment's most used channel: each customer gets the channel that pays for them, so a
    // segment can use several, and a channel with few sends learns nothing.
    const byChannel = new Map<string, number>();
    for (const m of ofSegment) byChannel.set(m.channel, (byChannel.get(m.channel) ?? 0) + 1);
    const channel = [...byChannel].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]![0] as "email" | "sms" | "push" | "in_app";
    expect(ofSegment.length).toBeGreaterThan(10);

    // Half of the segment's messages on that channel end in an unsubscribe, none in a conversion:
    // clearly against the channel and the segment, whichever customers this cycle's holdout drew.
    for (const m of ofSegment.filter((m) => m.channel === channel).filter((_, i) => i % 2 === 0))
      await db.pool.query(
        "INSERT INTO message_responses (message_id, type, customer_id, channel, occurred_at) VALUES ($1, 'unsubscribe', $2, $3, $4)",
        [m.message_id, m.customer_id, m.channel, new Date(clock.now().getTime() + 3_600_000)],
      );
    // This small world's segments send fewer than the 100 messages the cycle needs before it moves
    // anything: learn here with a lower bar; the cycle's own learn step then finds the rows and adds nothing.
    expect(await learnSegmentFatigue(deps, cycleId, { minSends: 10 })).toBeGreaterThan(0);
    const measureAt = (await service.get(cycleId)).state.activation!.measureAt;
    clock.set(new Date(measureAt).getTime() + 1_000);
    expect((await service.closeWindow(cycleId)).state.status).toBe("done");

    const { policy } = await currentGuardrailPolicy(db);
    const learned = (await latestLearnedFatigue(db)).get(segment)!;
    expect(learned.cycleId).toBe(cycleId);
    expect(learned.cooldownThreshold).toBeLessThan(0.7);
    const policyCap = policy.eligibility.channelRollingCap[channel];
    if (policyCap !== null) expect(learned.rollingCaps[channel]).toBe(Math.max(1, policyCap - 1));
    const audited = (await auditEntries(db, cycleId, ["tool_call"])).filter((e) => e.entry.tool === "fatigue_learning");
    const summary = audited.find((e) => String(e.entry.summary).startsWith(`${segment}:`))?.entry.summary;
    expect(summary).toMatch(/opt-outs outweigh responses/);
    expect(summary).toMatch(/cool-down threshold 0\.7 → 0\.65/);
    expect(audited.filter((e) => String(e.entry.summary).startsWith(`${segment}:`))).toHaveLength(1);

    // The next cycle, within the rolling window: a learned cap of 1 on that channel blocks everyone of
    // the segment who got a message in the first cycle, and the reason names the learned cap.
    await saveLearnedFatigue(db, `${cycleId}-override`, [
      {
        segmentId: segment,
        cooldownThreshold: learned.cooldownThreshold,
        rollingCaps: { ...learned.rollingCaps, [channel]: 1 },
        evidence: {},
      },
    ]);
    const next = await service.start({ requestedBy: "ann", asOf: new Date(sim.asOf.getTime() + 3 * DAY), settings: DEMO_SETTINGS });
    const eligibility = await auditEntries(db, next.cycleId, ["eligibility"]);
    const sentTo = new Set(ofSegment.map((m) => m.customer_id));
    const blocked = eligibility.filter(
      (e) =>
        sentTo.has(e.customerId!) &&
        (e.entry.reasons as { code: string; message: string }[]).some((r) => /learned for the segment/.test(r.message)),
    );
    const considered = eligibility.filter((e) => sentTo.has(e.customerId!) && e.entry.channel === channel);
    expect(considered.length).toBeGreaterThan(0);
    expect(blocked.length).toBe(
      considered.filter((e) => (e.entry.reasons as { code: string }[]).some((r) => r.code === "frequency_cap_channel")).length,
    );
    expect(blocked.length).toBeGreaterThan(0);
  }, 240_000);
});
