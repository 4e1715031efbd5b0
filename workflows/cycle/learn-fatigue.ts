import type { Channel } from "../../core/domain.js";
import { currentGuardrailPolicy } from "../../guardrails/guardrail-policy-store.js";
import { fatigueEvidence, latestLearnedFatigue, saveLearnedFatigue } from "../../store/learned-fatigue-repo.js";
import { learnFatigue, learnedLimitsFor, type FatigueLearningConfigInput } from "../../tools/fatigue-learning.js";
import { toolCallEntry } from "./audit-helpers.js";
import type { CycleDeps } from "./deps.js";

/**
 * After measurement: each segment's cool-down threshold and rolling caps learned from this cycle's
 * unsubscribes against its responses (tools/fatigue-learning.ts), within the guardrail policy's caps
 * in force now, saved for the next cycle's eligibility and audited per segment (old and new values,
 * the evidence, the reason).
 */
export async function learnSegmentFatigue(
  deps: Pick<CycleDeps, "db" | "audit" | "actor">,
  cycleId: string,
  config: FatigueLearningConfigInput = {},
): Promise<number> {
  const evidence = await fatigueEvidence(deps.db, cycleId);
  if (evidence.length === 0) return 0;
  const [{ policy }, current] = await Promise.all([currentGuardrailPolicy(deps.db), latestLearnedFatigue(deps.db)]);
  const bySegment = new Map<string, typeof evidence>();
  for (const e of evidence) bySegment.set(e.segmentId, [...(bySegment.get(e.segmentId) ?? []), e]);
  const { segments } = learnFatigue({
    segments: [...bySegment].map(([segmentId, rows]) => {
      const now = current.get(segmentId);
      return {
        segmentId,
        channels: rows.map(({ channel, sends, unsubscribes, responses }) => ({ channel, sends, unsubscribes, responses })),
        ...(now ? { current: { cooldownThreshold: now.cooldownThreshold, rollingCaps: now.rollingCaps } } : {}),
      };
    }),
    policyCaps: policy.eligibility.channelRollingCap,
    config,
  });
  const inserted = await saveLearnedFatigue(
    deps.db,
    cycleId,
    segments.map((s) => ({ segmentId: s.segmentId, ...s.after, evidence: { code: s.code, ...s.evidence, channels: s.channels } })),
  );
  // A re-run of the learn step (its process died) finds its rows saved and logs nothing twice.
  if (inserted === 0) return 0;
  await deps.audit.appendMany(
    segments.map((s) =>
      toolCallEntry(
        deps.actor,
        cycleId,
        "fatigue_learning",
        {
          segmentId: s.segmentId,
          before: s.before,
          evidence: s.evidence,
          channels: s.channels,
          policyCaps: policy.eligibility.channelRollingCap,
        },
        { segmentId: s.segmentId, code: s.code, after: s.after },
        s.reason.slice(0, 500),
      ),
    ),
  );
  return segments.length;
}

/** What the next plan's eligibility adds to a candidate: its segment's learned cap and threshold, with the customer's fatigue. */
export function learnedCandidateLimits(
  learned: Awaited<ReturnType<typeof latestLearnedFatigue>>,
  segmentId: string,
  channel: Channel,
  fatigue: number | undefined,
): { learnedRollingCap?: number; cooldownThreshold?: number; fatigue?: number } {
  const { rollingCap, cooldownThreshold } = learnedLimitsFor(learned.get(segmentId), channel);
  return {
    ...(rollingCap !== undefined ? { learnedRollingCap: rollingCap } : {}),
    ...(cooldownThreshold !== undefined && fatigue !== undefined ? { cooldownThreshold, fatigue } : {}),
  };
}
