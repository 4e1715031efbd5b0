import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../core/clock.js";
import { listApprovedContentVersions, listCycleApprovals } from "../store/approvals-repo.js";
import { readCycleEntries } from "../store/audit-repo.js";
import { BACKENDS, createTestDb, type TestDb } from "../store/test-db.js";
import {
  ApprovalAlreadyDecidedError,
  ApprovalExpiredError,
  ApprovalNotFoundError,
  ApprovalRequestError,
  SelfApprovalError,
} from "./approval-errors.js";
import { createApprovals, type Approvals } from "./approval-decisions.js";
import { assessPlanRisk, contentVersionKey } from "./approval.js";
import { verifyAuditLog } from "./audit-verify.js";
import { createAuditLog } from "./audit.js";

const HOUR = 3_600_000;
const prompt = contentVersionKey({ type: "prompt", id: "copywriter", version: 2, hash: "ab12" });

describe.each(BACKENDS)("approvals on %s", (backend) => {
  let t: TestDb;
  let approvals: Approvals;
  const clock = new ManualClock("2024-05-01T09:00:00.000Z");
  let n = 0;
  const newCycle = async () => {
    const id = `cy-${++n}`;
    // Test fixture: a cycle row for the approvals foreign key.
    await t.db.pool.query("INSERT INTO cycles (cycle_id, status, requested_by, as_of) VALUES ($1, 'planning', 'pulse', now())", [id]);
    return id;
  };
  const risky = () => assessPlanRisk({ maxDiscount: 0.3, audienceSize: 1_000, contentVersions: [prompt] }, new Set());

  beforeAll(async () => {
    t = await createTestDb(backend);
    approvals = createApprovals({ db: t.db, audit: createAuditLog(t.db, clock), clock });
  });
  afterAll(async () => {
    await t?.drop();
  });

  it("approves a low-risk plan by policy at request time, and records it", async () => {
    const cycleId = await newCycle();
    const risk = assessPlanRisk({ maxDiscount: 0.1, audienceSize: 100 }, new Set());
    const row = await approvals.requestApproval(cycleId, "pulse:strategist", risk);
    expect(row).toMatchObject({
      decision: "approved",
      decidedBy: "policy:approval-policy/1",
      reason: expect.stringMatching(/auto-approved by policy approval-policy\/1/),
    });
    const entries = await readCycleEntries(t.db, cycleId, ["approval"]);
    expect(entries.map((e) => [e.actor, (e.entry as { event: string }).event, (e.entry as { byPolicy: boolean }).byPolicy])).toEqual([
      ["pulse:strategist", "requested", false],
      ["policy:approval-policy/1", "approved", true],
    ]);
  });

  it("needs a human for a risky plan; the requester may not decide; another person may; decisions are final", async () => {
    const cycleId = await newCycle();
    const req = await approvals.requestApproval(cycleId, "ana", risky(), 2 * HOUR);
    expect(req).toMatchObject({ decision: null, expiresAt: new Date("2024-05-01T11:00:00.000Z") });
    expect(await listApprovedContentVersions(t.db, [prompt])).toEqual(new Set());

    await expect(approvals.decide({ cycleId }, { decision: "approved", by: "ana" })).rejects.toThrow(SelfApprovalError);
    await expect(approvals.decide({ cycleId }, { decision: "rejected", by: "ben" })).rejects.toThrow(/needs a reason/);
    const approved = await approvals.decide(
      { approvalId: req.approvalId },
      { decision: "approved", by: "ben", reason: "offer cleared with finance" },
    );
    expect(approved).toMatchObject({ decision: "approved", decidedBy: "ben" });
    await expect(approvals.decide({ cycleId }, { decision: "rejected", by: "cara", reason: "too late" })).rejects.toThrow(
      ApprovalAlreadyDecidedError,
    );
    await expect(approvals.decide({ cycleId }, { decision: "rejected", by: "cara", reason: "too late" })).rejects.toThrow(
      /already approved by ben/,
    );
    expect(await listApprovedContentVersions(t.db, [prompt, "template:other@v1"])).toEqual(new Set([prompt]));
    // The prompt version is now known: the same plan shape no longer trips new_content_version.
    expect(
      assessPlanRisk({ maxDiscount: 0.1, audienceSize: 10, contentVersions: [prompt] }, await listApprovedContentVersions(t.db, [prompt]))
        .tier,
    ).toBe("auto");
  });

  it("the database refuses a self-approval even past the library", async () => {
    const cycleId = await newCycle();
    const req = await approvals.requestApproval(cycleId, "ana", risky());
    await expect(
      t.db.pool.query("UPDATE approvals SET decision = 'approved', decided_by = 'ana' WHERE approval_id = $1", [req.approvalId]),
    ).rejects.toThrow(/check constraint/);
  });

  it("expires: deciding after expires_at fails clearly and marks the approval expired", async () => {
    const cycleId = await newCycle();
    const req = await approvals.requestApproval(cycleId, "ana", risky(), HOUR);
    clock.set(req.expiresAt.getTime() + 1);
    await expect(approvals.decide({ cycleId }, { decision: "approved", by: "ben" })).rejects.toThrow(ApprovalExpiredError);
    const after = await approvals.get(req.approvalId);
    expect(after).toMatchObject({ decision: "expired", decidedBy: null, reason: expect.stringMatching(/ben tried to record "approved"/) });
    await expect(approvals.decide({ approvalId: req.approvalId }, { decision: "approved", by: "ben" })).rejects.toThrow(/already expired/);
    const events = (await readCycleEntries(t.db, cycleId, ["approval"])).map((e) => (e.entry as { event: string }).event);
    expect(events).toEqual(["requested", "expired"]);
  });

  it("sweeps overdue approvals, refuses unknown cycles and approvals", async () => {
    const cycleId = await newCycle();
    const req = await approvals.requestApproval(cycleId, "ana", risky(), HOUR);
    clock.set(req.expiresAt.getTime() + 5);
    const swept = await approvals.expireOverdue();
    expect(swept.map((s) => s.approvalId)).toContain(req.approvalId);
    expect((await listCycleApprovals(t.db, cycleId))[0]!.decision).toBe("expired");
    await expect(approvals.requestApproval("cy-missing", "ana", risky())).rejects.toThrow(ApprovalRequestError);
    await expect(approvals.decide({ approvalId: "apr_nope" }, { decision: "approved", by: "ben" })).rejects.toThrow(ApprovalNotFoundError);
    await expect(approvals.decide({ cycleId: "cy-none" }, { decision: "approved", by: "ben" })).rejects.toThrow(
      /approval for cycle "cy-none" not found/,
    );
  });

  it("lets only one of two concurrent deciders win", async () => {
    const cycleId = await newCycle();
    const req = await approvals.requestApproval(cycleId, "ana", risky(), 100 * HOUR);
    const results = await Promise.allSettled([
      approvals.decide({ approvalId: req.approvalId }, { decision: "approved", by: "ben" }),
      approvals.decide({ approvalId: req.approvalId }, { decision: "rejected", by: "cara", reason: "no" }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(results.filter((r) => r.status === "rejected" && r.reason instanceof ApprovalAlreadyDecidedError)).toHaveLength(1);
    expect((await verifyAuditLog(t.db)).ok).toBe(true);
  });
});
