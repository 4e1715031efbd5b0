import { assessPlanRisk } from "../../../guardrails/approval.js";
import { latestCycleApproval, listApprovedContentVersions } from "../../../store/approvals-repo.js";
import { setCycleStatus } from "../../../store/cycles-repo.js";
import { targetsWithAttributes } from "../../../store/targets-repo.js";
import type { CycleDeps } from "../deps.js";
import type { CycleState } from "../state.js";
import { contentChecks, contentVersionsOf, fairnessCheck, planRiskInput, reviewOutcome, verdictEntries } from "../steps/review.js";

/**
 * Review: content QA of every variant against its approved offer, fairness of offers and discount
 * depth across protected groups, the eligibility outcome; then the risk tier decides between
 * auto-approval by policy and a human. The approval request is created here, once per cycle.
 */
export async function reviewNode(state: CycleState, deps: CycleDeps): Promise<Partial<CycleState>> {
  const { cycleId, settings } = state;
  const campaigns = state.copy!.campaigns;
  const targets = await targetsWithAttributes(deps.db, cycleId);
  const checks = [...contentChecks(campaigns, settings), fairnessCheck(cycleId, targets, settings)];
  await deps.audit.appendMany(verdictEntries(deps.actor, cycleId, checks));

  const contentVersions = contentVersionsOf(campaigns);
  const risk = assessPlanRisk(
    planRiskInput(state.plan!, contentVersions, checks),
    await listApprovedContentVersions(deps.db, contentVersions),
    settings.approvalPolicy,
  );
  const approval =
    (await latestCycleApproval(deps.db, cycleId)) ??
    (await deps.approvals.requestApproval(cycleId, state.requestedBy, risk, settings.approvalPolicy.ttlHours * 3_600_000));
  const outcome = reviewOutcome(checks, risk, approval, deps.clock.now());
  await setCycleStatus(deps.db, cycleId, outcome.status);
  return outcome;
}
