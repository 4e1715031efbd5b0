import { describe, expect, it } from "vitest";
import { ManualClock } from "../../core/clock.js";
import type { Actor } from "../../core/roles.js";
import { createAuditLog } from "../../guardrails/audit.js";
import { renderWhy, whyCustomer } from "../../guardrails/audit-why.js";
import { verifyAuditLog } from "../../guardrails/audit-verify.js";
import { campaignsOf } from "../../store/cycles-repo.js";
import { OUTSIDE_BRIEF_WINDOW, WINDOW_ENDED_BEFORE_SEND } from "../../workflows/cycle/brief.js";
import { auditEntries, messagesOf } from "../../workflows/cycle/testing/cycle-test-kit.js";
import { useSimulatedWorld } from "../../workflows/cycle/testing/world-fixture.js";
import { createChatAgent } from "./agent.js";
import { openTestCycles } from "./testing/test-cycles.js";

const ann: Actor = { id: "cli:ann", role: "marketer" };
const bob: Actor = { id: "slack:U0BOB", role: "approver" };

describe("a brief's window end caps the sends (real PostgreSQL)", () => {
  const world = useSimulatedWorld({ customers: 400, seed: 78, months: 6 });

  it("nothing is planned at or after the window's end, and a late approval sends nothing: each customer's why says so", async () => {
    const { db, sim } = world;
    // The marketer asks at 20:00 UTC on the history's last day, so the cycle runs as of then.
    const clock = new ManualClock(sim.asOf.getTime() + 20 * 3_600_000);
    const cycles = await openTestCycles(db, clock, world.outDir);
    const agent = await createChatAgent({ db, audit: createAuditLog(db, clock), clock, openCycles: async () => cycles });
    try {
      // The window ends with that day (midnight UTC): the next local send hour of many customers falls after it.
      const lastDay = clock.now().toISOString().slice(0, 10);
      const windowEnd = new Date(`${lastDay}T00:00:00Z`).getTime() + 86_400_000;
      const planned = await agent.handle({
        text: `win back shoppers at most 15% off until ${lastDay}`,
        actor: ann,
        threadId: "t-ann",
        via: "cli",
      });
      expect(planned.intent).toBe("plan_campaign");
      expect(planned.params).toMatchObject({ window: { end: lastDay } });
      const pending = planned.pendingPlan!;
      expect(pending).toBeDefined();
      const cycleId = pending.cycleId;

      // Planning: customers whose send time falls after the window are skipped with the cap's reason code.
      const capped = (await auditEntries(db, cycleId, ["suppression"])).filter((e) => e.entry.reasonCode === OUTSIDE_BRIEF_WINDOW);
      expect(capped.length).toBeGreaterThan(0);
      const { state } = await cycles.service.get(cycleId);
      expect(state.plan!.skipped[OUTSIDE_BRIEF_WINDOW]).toBe(capped.length);
      expect(state.plan!.contacts).toBeGreaterThan(0);
      const campaigns = await campaignsOf(db, cycleId);
      expect(campaigns.length).toBeGreaterThan(0);
      for (const c of campaigns) expect(c.sendUntil).toBe(new Date(windowEnd).toISOString());
      const why = await whyCustomer(db, capped[0]!.customerId!, { cycleId });
      expect(why.suppressions.map((s) => s.reasonCode)).toContain(OUTSIDE_BRIEF_WINDOW);
      expect(renderWhy(why)).toContain(OUTSIDE_BRIEF_WINDOW);

      // Bob approves only after the window has ended: the messages are built, then stopped at send time.
      const late = Math.min(windowEnd + 3_600_000, new Date(pending.expiresAt).getTime() - 60_000);
      expect(late).toBeGreaterThan(windowEnd);
      clock.set(late);
      const approved = await agent.handle({ text: "approve", actor: bob, threadId: "t-bob", via: "cli" });
      expect(approved.intent).toBe("approve");
      await cycles.drain();
      const messages = await messagesOf(db, cycleId);
      expect(messages.length).toBeGreaterThan(0);
      for (const m of messages) {
        expect(m.status).toBe("suppressed");
        expect(new Date((m.content as { plannedAt: string }).plannedAt).getTime()).toBeLessThan(windowEnd);
      }
      expect(await auditEntries(db, cycleId, ["send"])).toEqual([]);
      const stopped = (await auditEntries(db, cycleId, ["suppression"])).filter((e) => e.entry.reasonCode === WINDOW_ENDED_BEFORE_SEND);
      expect(stopped.map((e) => e.customerId).sort()).toEqual(messages.map((m) => m.customer_id).sort());
      const whyStopped = await whyCustomer(db, messages[0]!.customer_id, { cycleId });
      expect(whyStopped.sends).toEqual([]);
      expect(whyStopped.suppressions.find((s) => s.reasonCode === WINDOW_ENDED_BEFORE_SEND)?.reason).toMatch(/window ended/);
      expect(await verifyAuditLog(db)).toMatchObject({ ok: true });
    } finally {
      await agent.close();
    }
  }, 300_000);

  it("a later window's start and the brief's category reach the campaigns' columns: every send falls inside the window", async () => {
    const { db, sim } = world;
    const clock = new ManualClock(sim.asOf.getTime() + 20 * 3_600_000);
    const cycles = await openTestCycles(db, clock, world.outDir);
    const agent = await createChatAgent({ db, audit: createAuditLog(db, clock), clock, openCycles: async () => cycles });
    try {
      const day = (offset: number) => new Date(sim.asOf.getTime() + offset * 86_400_000).toISOString().slice(0, 10);
      const [start, end] = [day(3), day(4)];
      const planned = await agent.handle({
        text: `grocery promo at most 10% off from ${start} to ${end}`,
        actor: ann,
        threadId: "t-ann-2",
        via: "cli",
      });
      expect(planned.params).toMatchObject({ category: "grocery", window: { start, end } });
      const cycleId = (planned.data as { cycleId: string }).cycleId;
      if (planned.pendingPlan) await agent.handle({ text: `approve ${cycleId}`, actor: bob, threadId: "t-bob-2", via: "cli" });
      const campaigns = await campaignsOf(db, cycleId);
      expect(campaigns.length).toBeGreaterThan(0);
      for (const c of campaigns)
        expect(c).toMatchObject({
          category: "grocery",
          sendFrom: new Date(`${start}T00:00:00Z`).toISOString(),
          sendUntil: new Date(new Date(`${end}T00:00:00Z`).getTime() + 86_400_000).toISOString(),
        });
      clock.set(new Date(`${end}T23:59:00Z`).getTime());
      await cycles.drain();
      const messages = await messagesOf(db, cycleId);
      expect(messages.length).toBeGreaterThan(0);
      for (const m of messages) {
        const at = new Date((m.content as { plannedAt: string }).plannedAt).getTime();
        expect(at).toBeGreaterThanOrEqual(new Date(`${start}T00:00:00Z`).getTime());
        expect(at).toBeLessThan(new Date(`${end}T00:00:00Z`).getTime() + 86_400_000);
        expect(m.status).toBe("sent");
      }
      expect(await verifyAuditLog(db)).toMatchObject({ ok: true });
    } finally {
      await agent.close();
    }
  }, 300_000);
});
