import { checkContent } from "../../../guardrails/content-qa.js";
import { assessPlanRisk, contentVersionKey } from "../../../guardrails/approval.js";
import { assessFairness, fairnessVerdict } from "../../../guardrails/fairness.js";
import { latestCycleApproval, listApprovedContentVersions } from "../../../store/approvals-repo.js";
import { setCycleStatus } from "../../../store/cycles-repo.js";
import { targetsWithAttributes } from "../../../store/targets-repo.js";
import type { CycleDeps } from "../deps.js";
import type { CycleState } from "../state.js";

/**
 * Review: content QA of every variant against its approved offer, fairness of offers and discount
 * depth across protected groups, the eligibility outcome; then the risk tier decides between
 * auto-approval by policy and a human. The approval request is created here, once per cycle.
 */
export async function reviewNode(state: CycleState, deps: CycleDeps): Promise<Partial<CycleState>> {
  const { cycleId, settings } = state;
  const checks: { check: string; subject: string; passed: boolean; reasons: string[] }[] = [];

  for (const c of state.copy!.campaigns) {
    const issues = c.variants.flatMap((v) => {
      const verdict = checkContent({
        channel: c.channel,
        fields: v.fields,
        stage: "template",
        offer: { depth: c.offerDepth, maxDepth: settings.maxDiscount },
        bannedWords: settings.brand.bannedWords,
      });
      return verdict.issues.map((i) => `${v.variantId}: ${i.message}`);
    });
    checks.push({
      check: "content_qa",
      subject: c.campaignId,
      passed: issues.length === 0 && c.variants.length > 0,
      reasons: c.variants.length ? issues : ["no variant passed content QA"],
    });
  }

  // Fairness across protected attributes, over every customer the plan considered.
  const rows = await targetsWithAttributes(deps.db, cycleId);
  const report = assessFairness(
    rows.map((r) => ({
      attributes: { age_band: r.ageBand, region: r.region },
      offered: r.decision === "contact",
      discount: r.decision === "contact" ? r.offerDepth : 0,
    })),
    settings.fairnessAttributes,
    settings.fairness,
  );
  const fairness = fairnessVerdict(report, `cycle ${cycleId}`);
  checks.push({ check: fairness.check, subject: fairness.subject, passed: fairness.passed, reasons: fairness.reasons });

  for (const c of checks) {
    await deps.audit.append({
      kind: "guardrail_verdict",
      actor: deps.actor,
      cycleId,
      entry: { check: c.check, subject: c.subject, passed: c.passed, reasons: c.reasons.slice(0, 50) },
    });
  }

  const contentVersions = [
    ...new Set(
      state.copy!.campaigns.flatMap((c) =>
        c.variants.map((v) =>
          v.prompt
            ? contentVersionKey({ type: "prompt", id: v.prompt.id, version: v.prompt.version, hash: v.prompt.hash })
            : contentVersionKey({ type: "template", id: v.variantId.replace(/\.\d+$/, ""), version: 1 }),
        ),
      ),
    ),
  ];
  const risk = assessPlanRisk(
    {
      maxDiscount: Math.max(0, ...state.plan!.segments.filter((s) => s.contacts > 0).map((s) => s.offerDepth)),
      audienceSize: state.plan!.contacts,
      contentVersions,
      checks,
    },
    await listApprovedContentVersions(deps.db, contentVersions),
    settings.approvalPolicy,
  );
  const existing = await latestCycleApproval(deps.db, cycleId);
  const approval = existing
    ? existing
    : await deps.approvals.requestApproval(cycleId, state.requestedBy, risk, settings.approvalPolicy.ttlHours * 3_600_000);
  const autoApproved = approval.decision === "approved";
  const status = autoApproved ? "approved" : "awaiting_approval";
  await setCycleStatus(deps.db, cycleId, status);
  return {
    status,
    review: {
      checks,
      risk: { tier: risk.tier, triggers: risk.triggers },
      approvalId: approval.approvalId,
      autoApproved,
      expiresAt: approval.expiresAt.toISOString(),
    },
    ...(autoApproved
      ? {
          approval: {
            decision: "approved" as const,
            by: approval.decidedBy!,
            reason: "auto-approved by policy",
            at: (approval.decidedAt ?? deps.clock.now()).toISOString(),
          },
        }
      : {}),
  };
}
