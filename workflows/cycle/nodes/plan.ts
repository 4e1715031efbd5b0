import { planSegments } from "../../../agents/strategist/index.js";
import { analyzeTables } from "../../../store/analyze.js";
import { engagementByLocalHour, readoutsUpTo } from "../../../store/evidence-repo.js";
import { loadContactData, outOfStockCategories } from "../../../store/history-repo.js";
import { activeSuppressionRules } from "../../../store/suppression-rules-repo.js";
import { latestLearnedFatigue } from "../../../store/learned-fatigue-repo.js";
import { saveTargets } from "../../../store/targets-repo.js";
import { checkEligibilityUnchecked } from "../../../tools/eligibility.js";
import { globalControlMembership } from "../../../tools/holdout.js";
import { auditAgentDecision, auditToolCall } from "../audit-helpers.js";
import { applyBrief, briefSendFrom } from "../brief.js";
import { cycleLlm, type CycleDeps } from "../deps.js";
import { learnedUplift, type Readout } from "../plan-learning.js";
import {
  applyEligibility,
  customerAuditEntries,
  decideCustomers,
  eligibilityCandidates,
  eligibilityCustomers,
  planAuditEntry,
  planSummary,
} from "../plan-step.js";
import { priorUpliftFn, segmentSituation } from "../planning.js";
import type { CycleState } from "../state.js";
import { cycleData, segmentOf } from "../cycle-data.js";
import { learnedCandidateLimits } from "../learn-fatigue.js";
import { attachRecommendations } from "../recommend-products.js";

const DAY_MS = 86_400_000;
/** How far back each customer's hour histogram reads. */
const SEND_TIME_HISTORY_DAYS = 180;

/**
 * Plan: load (cycle data, segments, accumulated readouts, hour histograms) → pure steps (learned
 * uplift, the options, the strategist, per-customer offers, channels, targeting and send times,
 * eligibility) → save the targets → audit → the plan's summary.
 */
export async function planNode(state: CycleState, deps: CycleDeps): Promise<Partial<CycleState>> {
  const { cycleId, settings } = state;
  const asOf = new Date(state.asOf);
  const llm = cycleLlm(deps, state);

  // Load.
  const data = await cycleData(deps, state);
  const membership = await segmentOf(deps, cycleId);
  const readouts: Readout[] = (await readoutsUpTo(deps.db, asOf)).map((r) => ({
    segmentId: r.segmentId,
    strategy: r.strategy,
    channel: r.channel,
    offerDepth: r.offerDepth,
    measuredAt: r.measuredAt.getTime(),
    treated: r.treated,
    treatedConversions: r.treatedConversions,
    holdout: r.holdout,
    holdoutConversions: r.holdoutConversions,
    meanPrior: r.meanPredicted,
  }));
  const hours = await engagementByLocalHour(deps.db, new Date(asOf.getTime() - SEND_TIME_HISTORY_DAYS * DAY_MS), asOf);
  const pauses = await activeSuppressionRules(deps.db, deps.clock.now());
  const outOfStock = await outOfStockCategories(deps.db);
  const learnedFatigue = await latestLearnedFatigue(deps.db);

  // Pure: uplift from the prior calibrated by the evidence, the options, the strategist's plan.
  const segments = state.refresh!.segments;
  const members = new Map(segments.map((s) => [s.segmentId, [] as number[]]));
  const segmentIdOf = data.customerIds.map((id) => membership.get(id) ?? "");
  segmentIdOf.forEach((s, i) => members.get(s)?.push(i));
  const prior = priorUpliftFn(data);
  const uplift = learnedUplift(prior, (i) => segmentIdOf[i]!, readouts, asOf.getTime(), settings.evidenceHalfLifeDays);
  const situations = segments.map((s) => {
    const situation = segmentSituation(data, s, members.get(s.segmentId) ?? [], settings, uplift.fn);
    // Which options this segment's own readouts measured (the strategist weighs them over its profile's label).
    for (const o of situation.options)
      if (uplift.calibration(s.segmentId, o.strategy, o.channel, o.offerDepth).level === "segment") o.measured = true;
    return situation;
  });
  const learnedOptions = situations.flatMap((s) =>
    s.options.filter((o) => uplift.calibration(s.segmentId, o.strategy, o.channel, o.offerDepth).source === "learned"),
  ).length;
  const optionCount = situations.reduce((n, s) => n + s.options.length, 0);
  await auditToolCall(
    deps,
    cycleId,
    "plan_options",
    {
      segments: segments.map((s) => s.segmentId),
      channels: settings.channels,
      offerDepths: settings.offerDepths,
      maxDiscount: settings.maxDiscount,
      readouts: readouts.length,
    },
    situations.map((s) => s.options.filter((o) => o.contacts > 0).length),
    `expected value of ${optionCount} strategy × channel × offer options over ${segments.length} segments; uplift of ${learnedOptions} from ${readouts.length} accumulated holdout readouts (learned), of the rest from the prior`,
  );
  const planned = await planSegments(situations, { llm: llm.client, maxDiscount: settings.maxDiscount });
  await auditAgentDecision(deps, cycleId, "strategist", `plan for ${situations.length} segments`, planned.provenance);
  const plans = applyBrief(planned.plans, settings.brief, segments);
  const decisions = decideCustomers({
    cycleId,
    sendFrom: briefSendFrom(settings.brief, asOf),
    settings,
    data,
    plans,
    members,
    uplift,
    prior,
    readouts,
    hours,
    asOf: asOf.getTime(),
  });

  // Eligibility at each contact's planned send time.
  const contact = await loadContactData(
    deps.db,
    decisions.candidates.map((c) => decisions.targets[c.target]!.customerId),
    asOf,
  );
  // Unchecked: candidates and contact data are built from the store's typed rows.
  const eligibility = checkEligibilityUnchecked({
    candidates: eligibilityCandidates(decisions, (t) =>
      learnedCandidateLimits(learnedFatigue, t.segmentId, t.channel!, data.fatigue.score[data.index.get(t.customerId)!]),
    ),
    customers: eligibilityCustomers({
      decisions,
      data,
      contact,
      pauses,
      membership,
      globalControl: globalControlMembership({ salt: settings.globalControlSalt, share: settings.globalControlShare }),
    }),
    outOfStockCategories: outOfStock,
    config: settings.eligibility,
  });
  const { eligibleByTarget } = applyEligibility(decisions, eligibility.decisions);
  await auditToolCall(
    deps,
    cycleId,
    "eligibility",
    { candidates: decisions.candidates.length, outOfStock },
    { eligible: eligibility.eligibleCount, blockedBy: eligibility.blockedBy },
    `${eligibility.eligibleCount} of ${decisions.candidates.length} candidates eligible`,
  );

  // Save (with each cross-sell contact's recommended product).
  await attachRecommendations(deps, cycleId, asOf, decisions.targets);
  await saveTargets(deps.db, cycleId, decisions.targets);
  // Review, activation and its shards, and measurement read the targets: give the planner their size.
  await analyzeTables(deps.db, [{ table: "cycle_targets", columns: ["cycle_id", "customer_id", "campaign_id", "decision", "segment_id"] }]);

  // Audit: the plan, then every customer's verdict.
  const summary = planSummary(decisions, uplift);
  await deps.audit.append({ kind: "plan", actor: deps.actor, cycleId, entry: planAuditEntry(cycleId, summary) });
  await deps.audit.appendMany(customerAuditEntries(decisions.targets, eligibleByTarget, deps.actor, cycleId), { asSets: true });

  return {
    status: "planned",
    agents: { ...state.agents, strategist: planned.provenance },
    plan: summary,
    llm: llm.usage(),
  };
}
