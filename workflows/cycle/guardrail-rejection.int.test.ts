import { describe, expect, it } from "vitest";
import { verifyAuditLog } from "../../guardrails/audit-verify.js";
import { whyCustomer } from "../../guardrails/audit-why.js";
import { setDemoPolicy } from "../demo.js";
import { InvalidApprovalError } from "../../guardrails/approval-errors.js";
import { CycleStateError } from "./service.js";
import { auditEntries, messagesOf, readOutbox } from "./testing/cycle-test-kit.js";
import { useSimulatedWorld, worldCycleService } from "./testing/world-fixture.js";

describe("a plan flagged by a guardrail and rejected by a person (real PostgreSQL)", () => {
  const world = useSimulatedWorld({ customers: 500, seed: 41 });

  it("sends nothing, and the audit log says which check flagged it and why the plan was rejected", async () => {
    const { db, sim } = world;
    const { runner, connector, service } = await worldCycleService(world);
    // New content goes out without a person only because the admin's (the demo's) policy says so.
    await setDemoPolicy(db);

    // Legal has banned a phrase every library e-mail uses: no e-mail copy passes content QA. New
    // content alone would not need a person under this policy; a flagged check does.
    const started = await service.start({
      requestedBy: "ann",
      asOf: sim.asOf,
      settings: {
        channels: ["email"],
        brand: { bannedWords: ["any more"] },
        approvalPolicy: { version: "test-policy/1", newContentNeedsHuman: false, flaggedCheckNeedsHuman: true },
      },
    });
    const { cycleId } = started;
    expect(started.state.status).toBe("awaiting_approval");
    expect(started.waiting?.kind).toBe("approval");
    const review = started.state.review!;
    const qa = review.checks.filter((c) => c.check === "content_qa");
    expect(qa.length).toBeGreaterThan(0);
    expect(qa.every((c) => !c.passed && c.reasons.includes("no variant passed content QA"))).toBe(true);
    expect(review.risk.tier).toBe("human");
    expect(review.risk.triggers.every((t) => t.code === "guardrail_flagged")).toBe(true);
    expect(review.risk.triggers.map((t) => t.message)).toContain("content_qa flagged: no variant passed content QA");

    // The verdicts are in the audit log before anyone decides.
    const verdicts = await auditEntries(db, cycleId, ["guardrail_verdict"]);
    expect(verdicts.filter((v) => v.entry.check === "content_qa" && v.entry.passed === false).map((v) => v.entry.subject)).toEqual(
      qa.map((c) => c.subject),
    );

    // A rejection needs a reason; then a person other than the requester rejects.
    await expect(service.decide(cycleId, { decision: "rejected", by: "carol" })).rejects.toBeInstanceOf(InvalidApprovalError);
    const reason = "E-mail copy breaks the banned-phrase rule from legal; rewrite the templates first.";
    const rejected = await service.decide(cycleId, { decision: "rejected", by: "carol", reason });
    expect(rejected.state.status).toBe("rejected");
    expect(rejected.waiting).toBeNull();
    expect(rejected.state.approval).toMatchObject({ decision: "rejected", by: "carol", reason });
    expect(rejected.state.activation).toBeUndefined();
    await expect(service.decide(cycleId, { decision: "approved", by: "dave" })).rejects.toBeInstanceOf(CycleStateError);

    // Nothing was activated or sent.
    expect(runner.jobs).toEqual([]);
    expect(await messagesOf(db, cycleId)).toEqual([]);
    expect((await readOutbox(connector.path)).messages).toEqual([]);
    const { rows: assigned } = await db.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM holdout_assignments WHERE experiment_id LIKE $1",
      [`${cycleId}%`],
    );
    expect(assigned[0]!.n).toBe(0);
    const { rows: cycle } = await db.pool.query<{ status: string; summary: { rejectedBy: string; reason: string } }>(
      "SELECT status, summary FROM cycles WHERE cycle_id = $1",
      [cycleId],
    );
    expect(cycle[0]).toMatchObject({ status: "rejected", summary: { rejectedBy: "carol", reason } });

    // The audit log holds the request with its guardrail triggers, the rejection with its reason, and the end.
    const approvals = await auditEntries(db, cycleId, ["approval"]);
    expect(approvals.map((a) => [a.entry.event, a.entry.by])).toEqual([
      ["requested", "ann"],
      ["rejected", "carol"],
    ]);
    expect((approvals[0]!.entry.triggers as { code: string; message: string }[]).map((t) => t.message)).toContain(
      "content_qa flagged: no variant passed content QA",
    );
    expect(approvals[1]!.entry).toMatchObject({ reason, riskTier: "human", byPolicy: false, policyVersion: "test-policy/1" });
    const finished = (await auditEntries(db, cycleId, ["cycle"])).at(-1)!;
    expect(finished.entry).toMatchObject({ event: "finished", status: "rejected", summary: { rejectedBy: "carol", reason } });
    expect(await verifyAuditLog(db)).toMatchObject({ ok: true });

    // Asked about a customer the plan would have contacted, the audit log answers: not approved.
    const { rows: contact } = await db.pool.query<{ customer_id: string }>(
      "SELECT customer_id FROM cycle_targets WHERE cycle_id = $1 AND decision = 'contact' ORDER BY customer_id LIMIT 1",
      [cycleId],
    );
    expect(contact).toHaveLength(1);
    const why = await whyCustomer(db, contact[0]!.customer_id, { cycleId });
    expect(why.outcome).toBe("not_approved");
    expect(why.approval).toMatchObject({ status: "rejected", by: "carol", reason, requestedBy: "ann", riskTier: "human" });
    expect(why.summary).toContain("rejected by carol");
    expect(why.sends).toEqual([]);
    expect(why.holdout).toBeNull();
  }, 120_000);
});
