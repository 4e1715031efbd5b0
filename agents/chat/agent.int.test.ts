import { describe, expect, it } from "vitest";
import { ManualClock } from "../../core/clock.js";
import type { Actor } from "../../core/roles.js";
import { createAuditLog } from "../../guardrails/audit.js";
import { verifyAuditLog } from "../../guardrails/audit-verify.js";
import type { Strategy } from "../../sim/index.js";
import { activeSuppressionRules } from "../../store/suppression-rules-repo.js";
import { auditEntries, messagesOf, readOutbox } from "../../workflows/cycle/testing/cycle-test-kit.js";
import { useSimulatedWorld } from "../../workflows/cycle/testing/world-fixture.js";
import { createChatAgent } from "./agent.js";
import type { ChatAgent, ChatReply } from "./contract.js";
import { openTestCycles } from "./testing/test-cycles.js";

const ann: Actor = { id: "cli:ann", role: "marketer" };
const bob: Actor = { id: "slack:U0BOB", role: "approver" };
const carol: Actor = { id: "cli:carol", role: "compliance" };
const DAY = 86_400_000;

async function chatRows(db: Parameters<typeof auditEntries>[0]) {
  const { rows } = await db.pool.query<{ actor: string; entry: Record<string, unknown> }>(
    "SELECT actor, entry FROM audit_log WHERE kind = 'chat' ORDER BY seq",
  );
  return rows;
}

for (const backend of ["postgres", "pglite"] as const) {
  describe(`the chat agent on ${backend}`, () => {
    const world = useSimulatedWorld({ customers: 400, seed: 77, months: 6, backend });

    it("carries 'win back lapsed grocery shoppers at most 15% off' through plan, approval by someone else, sends and results", async () => {
      const { db, sim } = world;
      const clock = new ManualClock(sim.asOf);
      const cycles = await openTestCycles(db, clock, world.outDir);
      const agent: ChatAgent = await createChatAgent({ db, audit: createAuditLog(db, clock), clock, openCycles: async () => cycles });
      const say = (actor: Actor, threadId: string, text: string): Promise<ChatReply> => agent.handle({ text, actor, threadId, via: "cli" });
      try {
        // 1. The brief becomes a real cycle whose plan waits for a person (a first cycle's copy is new).
        const planned = await say(ann, "t-ann", "win back lapsed grocery shoppers at most 15% off");
        expect(planned.intent).toBe("plan_campaign");
        expect(planned.params).toMatchObject({
          strategy: "winback",
          max_discount: 0.15,
          category: "grocery",
          audience: { filters: ["lapsed"] },
        });
        expect(planned.understoodBy).toBe("offline");
        const pending = planned.pendingPlan!;
        expect(pending).toBeDefined();
        expect(pending.requestedBy).toBe(ann.id);
        const { state } = await cycles.service.get(pending.cycleId);
        expect(state.settings.maxDiscount).toBe(0.15);
        expect(state.settings.brief).toMatchObject({ strategy: "winback", category: "grocery" });
        // Every number in the reply is the cycle's own: the plan's contacts, offers within the cap.
        expect(planned.text).toContain(`${state.plan!.contacts.toLocaleString("en")} contacts planned`);
        // A segment can get a channel and still no contact (nobody in it whose uplift pays): the pending plan lists only segments with contacts.
        const contacted = state.plan!.segments.filter((s) => s.channel !== null && s.contacts > 0);
        expect(contacted.length).toBeGreaterThan(0);
        expect(pending.segments.map((p) => p.segmentId).sort()).toEqual(contacted.map((s) => s.segmentId).sort());
        for (const s of contacted) {
          expect(s.strategy).toBe("winback");
          expect(s.offerDepth).toBeLessThanOrEqual(0.15);
          expect(pending.segments.find((p) => p.segmentId === s.segmentId)?.contacts).toBe(s.contacts);
        }
        // Segments outside "lapsed" are not contacted.
        for (const s of state.plan!.segments.filter((x) => x.channel === null)) expect(s.contacts).toBe(0);

        // 2. The requester cannot approve (a marketer may not decide at all); neither can the requester as admin.
        const selfApprove = await say(ann, "t-ann", "approve");
        expect(selfApprove.text).toMatch(/may not approve/);
        const adminSelf = await say({ id: ann.id, role: "admin" }, "t-ann", `approve ${pending.cycleId}`);
        expect(adminSelf.text).toContain("someone else must approve");
        expect((await cycles.service.get(pending.cycleId)).waiting?.kind).toBe("approval");

        // 3. Bob approves in his own conversation; the plan activates.
        const shown = await say(bob, "t-bob", "show me the plan");
        expect(shown.pendingPlan?.cycleId).toBe(pending.cycleId);
        const approved = await say(bob, "t-bob", "looks good, approve it");
        expect(approved.intent).toBe("approve");
        const after = await cycles.service.get(pending.cycleId);
        expect(after.state.approval).toMatchObject({ decision: "approved", by: bob.id });
        expect(after.state.status).toBe("activated");

        // 4. Sends go out at customers' local hour: a day later, asking for results runs what came due.
        clock.set(sim.asOf.getTime() + 2 * DAY);
        const early = await say(ann, "t-ann", "what did the last cycle deliver?");
        expect(early.intent).toBe("cycle_results");
        const messages = await messagesOf(db, pending.cycleId);
        const sent = messages.filter((m) => m.status === "sent").length;
        expect(sent).toBe(after.state.activation!.treated);
        expect(early.text).toContain(`${sent.toLocaleString("en")} messages sent`);
        expect(early.text).toContain("attribution window closes");

        // 5. The customers respond; after the window, results carry the lift readout.
        const outbox = await readOutbox(cycles.outbox);
        const meta = new Map(messages.map((m) => [m.message_id, m]));
        const windowEnd = new Date(after.state.activation!.measureAt);
        await sim.respond(
          windowEnd,
          outbox.messages.map((m) => ({
            messageId: m.messageId,
            customerId: m.customerId,
            channel: m.channel,
            campaignId: m.campaignId,
            sentAt: m.sentAt,
            strategy: meta.get(m.messageId)!.strategy as Strategy,
            offerDepth: Number(meta.get(m.messageId)!.offer_depth),
          })),
        );
        clock.set(windowEnd.getTime() + 1_000);
        const results = await say(ann, "t-ann", "what did the last cycle deliver?");
        const measured = await cycles.service.get(pending.cycleId);
        expect(measured.state.measurement).toBeDefined();
        expect(results.text).toContain(measured.state.measurement!.headline);

        // 6. Pause a contacted segment: the next cycle's eligibility holds its customers back; resume lifts it.
        const seg = contacted[0]!.segmentId;
        const paused = await say(
          ann,
          "t-ann",
          `pause ${seg} until ${new Date(clock.now().getTime() + 7 * DAY).toISOString().slice(0, 10)}`,
        );
        expect(paused.intent).toBe("pause");
        const rules = await activeSuppressionRules(db, clock.now());
        expect(rules.map((r) => [r.segmentId, r.channels, r.createdBy])).toEqual([[seg, null, ann.id]]);
        const second = await say(ann, "t-ann", "start a new cycle");
        expect(second.intent).toBe("start_cycle");
        const secondId = (second.data as { cycleId: string }).cycleId;
        const { rows: segTargets } = await db.pool.query<{ decision: string; codes: string[] }>(
          "SELECT decision, ARRAY(SELECT jsonb_array_elements(reasons)->>'code') AS codes FROM cycle_targets WHERE cycle_id = $1 AND segment_id = $2 AND channel IS NOT NULL",
          [secondId, seg],
        );
        // Nobody in the paused segment is contacted; those the plan chose are held back as suppressed.
        expect(segTargets.filter((t) => t.decision === "contact")).toEqual([]);
        expect(segTargets.filter((t) => t.codes.includes("suppressed")).length).toBeGreaterThan(0);
        const resumed = await say(ann, "t-ann", `resume ${seg}`);
        expect(resumed.text).toContain("lifted 1 pause");
        expect(await activeSuppressionRules(db, clock.now())).toEqual([]);

        // 7. Audit answers are for compliance; every request is in the audit log with its actor and intent.
        expect((await say(ann, "t-ann", "verify the audit log")).text).toMatch(/may not read audit answers/);
        const verified = await say(carol, "t-carol", "verify the audit log");
        expect(verified.text).toMatch(/intact/);
        const chats = await chatRows(db);
        expect(chats.map((c) => [c.actor, c.entry.intent])).toEqual([
          [ann.id, "plan_campaign"],
          [ann.id, "approve"],
          [ann.id, "approve"],
          [bob.id, "show_plan"],
          [bob.id, "approve"],
          [ann.id, "cycle_results"],
          [ann.id, "cycle_results"],
          [ann.id, "pause"],
          [ann.id, "start_cycle"],
          [ann.id, "resume"],
          [ann.id, "audit_verify"],
          [carol.id, "audit_verify"],
        ]);
        expect(chats.map((c) => c.entry.outcome)).toEqual([
          "done",
          "refused",
          "refused",
          "done",
          "done",
          "done",
          "done",
          "done",
          "done",
          "done",
          "refused",
          "done",
        ]);
        expect((await auditEntries(db, pending.cycleId, ["approval"])).map((a) => [a.entry.event, a.actor])).toEqual([
          ["requested", ann.id],
          ["approved", bob.id],
        ]);
        expect(await verifyAuditLog(db)).toMatchObject({ ok: true });
      } finally {
        await agent.close();
      }
    }, 300_000);
  });
}
