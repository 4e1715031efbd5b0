import { describe, expect, it } from "vitest";
import { cycleRowStatus } from "../../core/domain.js";
import { ApprovalAlreadyDecidedError, ApprovalExpiredError } from "../../guardrails/approval-errors.js";
import { verifyAuditLog } from "../../guardrails/audit-verify.js";
import type { EnqueuedJob, EnqueueOptions, JobContext, JobInput, QueueName } from "../jobs/types.js";
import { APPROVAL_EXPIRY_ACTOR } from "../../guardrails/approval-rules.js";
import { learnNode } from "./nodes/learn.js";
import { measureNode } from "./nodes/measure.js";
import { cycleIdForJob } from "./ids.js";
import { cycleProcessors } from "./processors.js";
import type { CycleWait } from "./service.js";
import { auditEntries, RecordingRunner } from "./testing/cycle-test-kit.js";
import { useSimulatedWorld, worldCycleService } from "./testing/world-fixture.js";

/** Records jobs like RecordingRunner, but the first enqueue on `failQueue` fails, as when Redis drops. */
class FailOnceRunner extends RecordingRunner {
  failed = false;
  constructor(readonly failQueue: QueueName) {
    super();
  }

  override async enqueue<Q extends QueueName>(queue: Q, data: JobInput<Q>, options?: EnqueueOptions): Promise<EnqueuedJob> {
    if (queue === this.failQueue && !this.failed) {
      this.failed = true;
      throw new Error("connection to the queue lost");
    }
    return super.enqueue(queue, data, options);
  }
}

describe("cycle jobs from the scheduler: retried ticks and resumed cycles (real PostgreSQL)", () => {
  const world = useSimulatedWorld({ customers: 400, seed: 57 });

  it("a retried tick finds its cycle instead of starting a second; a cycle stopped by a failed step resumes from its checkpoint", async () => {
    const { db, sim } = world;
    const runner = new FailOnceRunner("activation");
    const { clock, deps, service } = await worldCycleService(world, { runner });
    const processors = cycleProcessors(deps, service);
    const tick: JobContext<"cycle"> = { jobId: "repeat:autonomous-cycle:1735722000000", attempt: 1, attempts: 3, queue: "cycle" };

    // The scheduled tick runs the graph up to the human gate (a first cycle's copy has never been approved).
    const first = await processors.cycle({ kind: "run", trigger: "schedule" }, tick);
    const cycleId = cycleIdForJob(tick.jobId);
    expect(first).toBe(`${cycleId}: awaiting_approval`);
    expect((await service.get(cycleId)).waiting?.kind).toBe("approval");

    // The same tick again (BullMQ retries a job whose worker died before it was marked done): same cycle, nothing new.
    expect(await processors.cycle({ kind: "run", trigger: "schedule" }, { ...tick, attempt: 2 })).toBe(first);
    const { rows: cycles } = await db.pool.query<{ cycle_id: string; requested_by: string; status: string }>(
      "SELECT cycle_id, requested_by, status FROM cycles",
    );
    expect(cycles).toEqual([{ cycle_id: cycleId, requested_by: "scheduler:schedule", status: "awaiting_approval" }]);
    expect(cycleRowStatus((await service.get(cycleId)).state.status)).toBe(cycles[0]!.status);
    expect((await auditEntries(db, cycleId, ["cycle"])).map((e) => (e.entry as { event: string }).event)).toEqual(["started"]);
    expect(await db.pool.query("SELECT 1 FROM approvals WHERE cycle_id = $1", [cycleId]).then((r) => r.rowCount)).toBe(1);

    // Approved; activation assigns the holdouts, then cannot hand its first shard to the queue: the cycle stops as failed.
    const approvalId = ((await service.get(cycleId)).waiting as { approvalId: string }).approvalId;
    clock.set(sim.asOf.getTime() + 3_600_000);
    await expect(service.decide(cycleId, { decision: "approved", by: "bob" })).rejects.toThrow(/connection to the queue lost/);
    expect(runner.failed).toBe(true);
    const { rows: failed } = await db.pool.query<{ status: string }>("SELECT status FROM cycles WHERE cycle_id = $1", [cycleId]);
    expect(failed[0]!.status).toBe("failed");
    // pulse cycle status (the graph state) says what pulse cycle list (the column) says.
    expect((await service.get(cycleId)).state.status).toBe("failed");
    const holdoutsBefore = (await auditEntries(db, cycleId, ["holdout"])).length;
    expect(holdoutsBefore).toBeGreaterThan(0);

    // A resume job continues from the checkpoint: activation runs again, idempotently, and the cycle goes on.
    const resumed = await processors.cycle({ kind: "resume", cycleId, trigger: "manual" }, { ...tick, jobId: `resume.${cycleId}` });
    expect(resumed).toBe(`${cycleId}: activated`);
    const state = await service.get(cycleId);
    expect(state.waiting?.kind).toBe("attribution_window");
    expect(state.state.approval).toMatchObject({ decision: "approved", by: "bob" });
    const { rows: decisions } = await db.pool.query<{ decision: string; decided_by: string }>(
      "SELECT decision, decided_by FROM approvals WHERE approval_id = $1",
      [approvalId],
    );
    expect(decisions).toEqual([{ decision: "approved", decided_by: "bob" }]);
    const activation = state.state.activation!;
    expect(activation.treated).toBeGreaterThan(0);
    expect(runner.jobs.filter((j) => j.queue === "activation")).toHaveLength(activation.shards);
    expect(runner.jobs.filter((j) => j.queue === "measure")).toHaveLength(1);

    // Each assignment is audited once, however many times the node ran; the log tells the story.
    const holdouts = await auditEntries(db, cycleId, ["holdout"]);
    expect(holdouts).toHaveLength(holdoutsBefore);
    expect(new Set(holdouts.map((h) => h.customerId)).size).toBe(holdouts.length);
    expect(holdouts).toHaveLength(activation.treated + activation.holdout + activation.globalControl);
    const holdoutCalls = (await auditEntries(db, cycleId, ["tool_call"])).filter((e) => (e.entry as { tool: string }).tool === "holdout");
    expect(holdoutCalls).toHaveLength(1);
    const events = (await auditEntries(db, cycleId, ["cycle"])).map((e) => e.entry as { event: string; error?: string });
    expect(events.map((e) => e.event)).toEqual(["started", "failed", "resumed"]);
    expect(events[1]!.error).toMatch(/connection to the queue lost/);
    const { rows: after } = await db.pool.query<{ status: string }>("SELECT status FROM cycles WHERE cycle_id = $1", [cycleId]);
    expect(after[0]!.status).toBe("activated");
    expect(cycleRowStatus(state.state.status)).toBe("activated");

    // Resuming a cycle that waits for its window changes nothing.
    expect(await processors.cycle({ kind: "resume", cycleId, trigger: "manual" }, { ...tick, jobId: `resume.${cycleId}.2` })).toBe(
      `${cycleId}: activated`,
    );
    expect((await auditEntries(db, cycleId, ["cycle"])).length).toBe(3);
    expect(await verifyAuditLog(db)).toMatchObject({ ok: true });
  }, 180_000);
});

describe("a decision recorded by a process that died before the graph moved on (real PostgreSQL)", () => {
  const world = useSimulatedWorld({ customers: 400, seed: 58 });
  // Any audience needs a person under this policy, whatever was approved before.
  const STRICT = { approvalPolicy: { version: "strict/1", maxAutoAudience: 0 } };

  it("is carried out when the cycle is resumed, even past the request's expiry, or when anyone decides again; steps run twice log once", async () => {
    const { db, sim } = world;
    const { runner, clock, deps, service } = await worldCycleService(world);
    const a = await service.start({ requestedBy: "ann", asOf: sim.asOf });
    const b = await service.start({ requestedBy: "ann", asOf: sim.asOf });
    const approvalOf = (w: CycleWait) => {
      if (w?.kind !== "approval") throw new Error(`expected to wait for approval, waits for ${JSON.stringify(w)}`);
      return w;
    };
    const gateA = approvalOf(a.waiting);
    const gateB = approvalOf(b.waiting);

    // Both decisions are recorded, then the process dies: the graphs still wait at the human gate.
    clock.set(sim.asOf.getTime() + 3_600_000);
    await deps.approvals.decide({ approvalId: gateA.approvalId }, { decision: "approved", by: "bob" });
    await deps.approvals.decide({ approvalId: gateB.approvalId }, { decision: "rejected", by: "bob", reason: "too aggressive" });
    expect((await service.get(a.cycleId)).waiting?.kind).toBe("approval");
    expect((await service.get(b.cycleId)).waiting?.kind).toBe("approval");

    // Someone else tries to approve b: told it was decided already, and bob's rejection is carried out.
    await expect(service.decide(b.cycleId, { decision: "approved", by: "carol" })).rejects.toBeInstanceOf(ApprovalAlreadyDecidedError);
    const rejected = await service.get(b.cycleId);
    expect(rejected.state.status).toBe("rejected");
    expect(rejected.waiting).toBeNull();
    expect(rejected.state.approval).toMatchObject({ decision: "rejected", by: "bob", reason: "too aggressive" });

    // a is resumed only after its request would have expired: bob's approval was recorded in time, so it stands.
    clock.set(new Date(gateA.expiresAt).getTime() + 3_600_000);
    const resumed = await service.resume(a.cycleId);
    expect(resumed.state.status).toBe("activated");
    expect(resumed.state.approval).toMatchObject({
      decision: "approved",
      by: "bob",
      at: new Date(sim.asOf.getTime() + 3_600_000).toISOString(),
    });
    expect(runner.jobs.filter((j) => j.queue === "activation").length).toBe(resumed.state.activation!.shards);
    expect(runner.jobs.filter((j) => j.data && (j.data as { cycleId?: string }).cycleId === b.cycleId)).toEqual([]);

    // One decision each in the log; the resume is recorded too.
    const decisionsOf = async (cycleId: string) =>
      (await auditEntries(db, cycleId, ["approval"])).map((e) => (e.entry as { event: string }).event).filter((e) => e !== "requested");
    expect(await decisionsOf(a.cycleId)).toEqual(["approved"]);
    expect(await decisionsOf(b.cycleId)).toEqual(["rejected"]);
    expect((await auditEntries(db, a.cycleId, ["cycle"])).map((e) => (e.entry as { event: string }).event)).toEqual(["started", "resumed"]);

    // The window closes: measure and learn. Run again from the checkpoint before them (a process that
    // died before saving it): the outcomes are measured again, nothing is logged twice.
    clock.set(new Date(resumed.state.activation!.measureAt).getTime() + 1_000);
    expect((await service.closeWindow(a.cycleId)).state.status).toBe("done");
    await measureNode(resumed.state, deps);
    await learnNode(resumed.state, deps);
    expect(await auditEntries(db, a.cycleId, ["measurement"])).toHaveLength(1);
    const tools = (await auditEntries(db, a.cycleId, ["tool_call"])).map((e) => (e.entry as { tool: string }).tool);
    expect(tools.filter((t) => t === "lift")).toHaveLength(1);
    expect((await auditEntries(db, a.cycleId, ["cycle"])).map((e) => (e.entry as { event: string }).event)).toEqual([
      "started",
      "resumed",
      "finished",
    ]);
    expect(await verifyAuditLog(db)).toMatchObject({ ok: true });
  }, 180_000);

  it("an approval request that expires undecided ends its cycle: nothing is sent, and the log says why", async () => {
    const { db, sim } = world;
    const { runner, clock, service } = await worldCycleService(world, { outbox: "outbox-expiry.jsonl" });
    const settings = STRICT;
    const c = await service.start({ requestedBy: "ann", asOf: sim.asOf, settings });
    const d = await service.start({ requestedBy: "ann", asOf: sim.asOf, settings });
    expect(c.waiting?.kind).toBe("approval");
    expect(d.waiting?.kind).toBe("approval");
    clock.set(new Date((c.waiting as { expiresAt: string }).expiresAt).getTime() + 60_000);

    // A late approval is refused, and the cycle it came for is closed as expired.
    await expect(service.decide(c.cycleId, { decision: "approved", by: "bob" })).rejects.toBeInstanceOf(ApprovalExpiredError);
    // Nobody answered d at all: resuming it finds the request overdue and closes it the same way.
    await service.resume(d.cycleId);

    for (const cycle of [c, d]) {
      const closed = await service.get(cycle.cycleId);
      expect(closed.state.status, cycle.cycleId).toBe("rejected");
      expect(closed.waiting).toBeNull();
      expect(closed.state.approval).toMatchObject({
        decision: "rejected",
        by: APPROVAL_EXPIRY_ACTOR,
        reason: expect.stringMatching(/expired at .* before anyone decided/),
      });
      expect(closed.state.activation).toBeUndefined();
      const { rows } = await db.pool.query<{ status: string; decision: string }>(
        "SELECT c.status, a.decision FROM cycles c JOIN approvals a USING (cycle_id) WHERE c.cycle_id = $1",
        [cycle.cycleId],
      );
      expect(rows).toEqual([{ status: "rejected", decision: "expired" }]);
      const approvalEvents = (await auditEntries(db, cycle.cycleId, ["approval"])).map((e) => (e.entry as { event: string }).event);
      expect(approvalEvents).toEqual(["requested", "expired"]);
      const finished = (await auditEntries(db, cycle.cycleId, ["cycle"])).map((e) => e.entry as { event: string; status?: string }).at(-1);
      expect(finished).toMatchObject({ event: "finished", status: "rejected" });
    }
    expect(runner.jobs).toEqual([]);
    expect(await verifyAuditLog(db)).toMatchObject({ ok: true });
  }, 180_000);

  it("a scheduled tick first settles the gate: a cycle whose request expired unanswered is closed before the next starts", async () => {
    const { sim } = world;
    const { clock, deps, service } = await worldCycleService(world, { outbox: "outbox-tick.jsonl" });
    const waiting = await service.start({ requestedBy: "ann", asOf: sim.asOf, settings: STRICT });
    expect(waiting.waiting?.kind).toBe("approval");
    clock.set(new Date((waiting.waiting as { expiresAt: string }).expiresAt).getTime() + 60_000);

    const tick: JobContext<"cycle"> = { jobId: "repeat:autonomous-cycle:1735808400000", attempt: 1, attempts: 3, queue: "cycle" };
    const out = await cycleProcessors(deps, service).cycle({ kind: "run", trigger: "schedule" }, tick);
    expect(out).toMatch(new RegExp(`^${cycleIdForJob(tick.jobId)}: \\w+; settled the approvals of ${waiting.cycleId}$`));
    expect((await service.get(waiting.cycleId)).state).toMatchObject({
      status: "rejected",
      approval: { decision: "rejected", by: APPROVAL_EXPIRY_ACTOR },
    });
    // Nothing is left waiting with an outcome; a second look settles nothing.
    expect(await service.settleApprovals()).toEqual([]);
  }, 180_000);
});
