import { contentVersionKey, type PlanRiskInput, type RiskAssessment } from "../../../guardrails/approval.js";
import type { NewAuditEntry } from "../../../guardrails/audit-entries.js";
import { checkContent } from "../../../guardrails/content-qa.js";
import { assessFairness, fairnessVerdict } from "../../../guardrails/fairness.js";
import type { ApprovalRow } from "../../../store/approvals-repo.js";
import type { Campaign } from "../../../core/domain.js";
import type { CycleSettings } from "../settings.js";
import type { CycleState } from "../state.js";

/**
 * The pure steps of the review node: content QA of every variant, fairness across protected
 * groups, what the risk assessment is given, the verdicts audited and the state's summary.
 * nodes/review.ts loads, asks for the approval and saves around them.
 */

export interface ReviewCheck {
  check: string;
  subject: string;
  passed: boolean;
  reasons: string[];
}

/** Template-stage content QA of each campaign's variants against its approved offer and the brand's banned words. */
export function contentChecks(campaigns: readonly Campaign[], settings: Pick<CycleSettings, "maxDiscount" | "brand">): ReviewCheck[] {
  return campaigns.map((c) => {
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
    return {
      check: "content_qa",
      subject: c.campaignId,
      passed: issues.length === 0 && c.variants.length > 0,
      reasons: c.variants.length ? issues : ["no variant passed content QA"],
    };
  });
}

/** A target the plan considered, with the protected attributes fairness is checked on. */
export interface ReviewedTarget {
  decision: string;
  offerDepth: number;
  ageBand: string | null;
  region: string | null;
}

/** Fairness of offers and discount depth across protected attributes, over every customer the plan considered. */
export function fairnessCheck(
  cycleId: string,
  targets: readonly ReviewedTarget[],
  settings: Pick<CycleSettings, "fairnessAttributes" | "fairness">,
): ReviewCheck {
  const report = assessFairness(
    targets.map((r) => ({
      attributes: { age_band: r.ageBand, region: r.region },
      offered: r.decision === "contact",
      discount: r.decision === "contact" ? r.offerDepth : 0,
    })),
    settings.fairnessAttributes,
    settings.fairness,
  );
  const v = fairnessVerdict(report, `cycle ${cycleId}`);
  return { check: v.check, subject: v.subject, passed: v.passed, reasons: v.reasons };
}

/** One guardrail verdict entry per check. */
export function verdictEntries(actor: string, cycleId: string, checks: readonly ReviewCheck[]): NewAuditEntry[] {
  return checks.map((c) => ({
    kind: "guardrail_verdict",
    actor,
    cycleId,
    entry: { check: c.check, subject: c.subject, passed: c.passed, reasons: c.reasons.slice(0, 50) },
  }));
}

/** The content versions (prompt or library template) the plan's variants use: new ones need a human. */
export function contentVersionsOf(campaigns: readonly Campaign[]): string[] {
  return [
    ...new Set(
      campaigns.flatMap((c) =>
        c.variants.map((v) =>
          v.prompt
            ? contentVersionKey({ type: "prompt", id: v.prompt.id, version: v.prompt.version, hash: v.prompt.hash })
            : contentVersionKey({ type: "template", id: v.variantId.replace(/\.\d+$/, ""), version: 1 }),
        ),
      ),
    ),
  ];
}

/** What the risk assessment weighs: the deepest offer sent, the audience, the content and the checks. */
export function planRiskInput(
  plan: NonNullable<CycleState["plan"]>,
  contentVersions: readonly string[],
  checks: readonly ReviewCheck[],
): PlanRiskInput {
  return {
    maxDiscount: Math.max(0, ...plan.segments.filter((s) => s.contacts > 0).map((s) => s.offerDepth)),
    audienceSize: plan.contacts,
    contentVersions: [...contentVersions],
    checks: [...checks],
  };
}

/** The state after review: the checks, the risk, the approval request and, when policy approved it, the approval. */
export function reviewOutcome(
  checks: readonly ReviewCheck[],
  risk: RiskAssessment,
  approval: ApprovalRow,
  now: Date,
): Pick<CycleState, "status" | "review" | "approval"> {
  const autoApproved = approval.decision === "approved";
  return {
    status: autoApproved ? "approved" : "awaiting_approval",
    review: {
      checks: [...checks],
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
            at: (approval.decidedAt ?? now).toISOString(),
          },
        }
      : {}),
  };
}
