import { z } from "zod";

/**
 * Approval policy: decides, from a plan's risk, whether it may go out on the policy's own authority
 * ("auto", recorded as approved by policy <version>) or needs a person ("human"). Pure. The rules,
 * each a trigger with a stable code:
 *   discount_above_limit   the deepest offer is above maxAutoDiscount (default 20%);
 *   audience_above_limit   more than maxAutoAudience customers would be contacted (default 50,000);
 *   new_content_version    a template or prompt version that was never approved before;
 *   guardrail_flagged      a guardrail check (e.g. fairness) did not pass.
 * Any trigger makes the tier "human"; no trigger makes it "auto".
 */

export const approvalPolicySchema = z.object({
  /** Recorded with every decision, so a reviewer knows which rules applied. */
  version: z.string().min(1).default("approval-policy/1"),
  /** Discount depth (0..1) above which a person must approve. */
  maxAutoDiscount: z.number().min(0).max(1).default(0.2),
  /** Audience size above which a person must approve. */
  maxAutoAudience: z.number().int().min(0).default(50_000),
  newContentNeedsHuman: z.boolean().default(true),
  flaggedCheckNeedsHuman: z.boolean().default(true),
  /** How long a request stays open before it expires. */
  ttlHours: z.number().positive().default(24),
});
export type ApprovalPolicy = z.infer<typeof approvalPolicySchema>;
export type ApprovalPolicyInput = z.input<typeof approvalPolicySchema>;

export const DEFAULT_APPROVAL_POLICY: ApprovalPolicy = approvalPolicySchema.parse({});

export const planRiskInputSchema = z.object({
  /** Deepest discount offered in the plan (0..1). */
  maxDiscount: z.number().min(0).max(1),
  /** Customers the plan would contact. */
  audienceSize: z.number().int().min(0),
  /** Template and prompt versions the plan uses, as contentVersionKey() spells them. */
  contentVersions: z.array(z.string().min(1)).default([]),
  /** Guardrail verdicts on the plan (fairness, content QA, ...). */
  checks: z.array(z.object({ check: z.string().min(1), passed: z.boolean(), reasons: z.array(z.string()).default([]) })).default([]),
});
export type PlanRiskInput = z.input<typeof planRiskInputSchema>;

export const RISK_TRIGGER_CODES = ["discount_above_limit", "audience_above_limit", "new_content_version", "guardrail_flagged"] as const;
export type RiskTriggerCode = (typeof RISK_TRIGGER_CODES)[number];

export const riskAssessmentSchema = z.object({
  tier: z.enum(["auto", "human"]),
  triggers: z.array(z.object({ code: z.enum(RISK_TRIGGER_CODES), message: z.string() })),
  policyVersion: z.string(),
  maxDiscount: z.number(),
  audienceSize: z.number().int(),
  contentVersions: z.array(z.string()),
});
/** What approvals.risk stores. contentVersions is read back to know which versions were approved before. */
export type RiskAssessment = z.infer<typeof riskAssessmentSchema>;

/** The key under which a template or prompt version counts as approved, e.g. "prompt:copywriter@v3#ab12..". */
export function contentVersionKey(ref: { type: "template" | "prompt"; id: string; version: number | string; hash?: string }): string {
  return `${ref.type}:${ref.id}@v${ref.version}${ref.hash ? `#${ref.hash}` : ""}`;
}

/**
 * Assesses a plan's risk. `approvedBefore` holds the content version keys of earlier approved plans
 * (store/approvals-repo.ts: listApprovedContentVersions).
 */
export function assessPlanRisk(
  input: PlanRiskInput,
  approvedBefore: ReadonlySet<string>,
  policyInput: ApprovalPolicyInput = {},
): RiskAssessment {
  const policy = approvalPolicySchema.parse(policyInput);
  const plan = planRiskInputSchema.parse(input);
  const triggers: RiskAssessment["triggers"] = [];
  if (plan.maxDiscount > policy.maxAutoDiscount) {
    triggers.push({
      code: "discount_above_limit",
      message: `deepest discount ${pct(plan.maxDiscount)} is above the ${pct(policy.maxAutoDiscount)} auto-approval limit`,
    });
  }
  if (plan.audienceSize > policy.maxAutoAudience) {
    triggers.push({
      code: "audience_above_limit",
      message: `audience of ${plan.audienceSize} is above the ${policy.maxAutoAudience} auto-approval limit`,
    });
  }
  const contentVersions = [...new Set(plan.contentVersions)].sort();
  if (policy.newContentNeedsHuman) {
    const fresh = contentVersions.filter((v) => !approvedBefore.has(v));
    if (fresh.length > 0) triggers.push({ code: "new_content_version", message: `never approved before: ${fresh.join(", ")}` });
  }
  if (policy.flaggedCheckNeedsHuman) {
    for (const c of plan.checks.filter((x) => !x.passed)) {
      triggers.push({ code: "guardrail_flagged", message: `${c.check} flagged${c.reasons.length ? `: ${c.reasons.join("; ")}` : ""}` });
    }
  }
  return {
    tier: triggers.length > 0 ? "human" : "auto",
    triggers,
    policyVersion: policy.version,
    maxDiscount: plan.maxDiscount,
    audienceSize: plan.audienceSize,
    contentVersions,
  };
}

/** Who approves automatically: never equal to a requester (the approvals table has a CHECK on that). */
export function policyActor(policyVersion: string): string {
  return `policy:${policyVersion}`;
}

function pct(x: number): string {
  return `${Math.round(x * 1000) / 10}%`;
}
