import { planSegments } from "../../../agents/strategist/index.js";
import { CHANNELS } from "../../../ingest/formats.js";
import { analyzeTables } from "../../../store/analyze.js";
import { latestModel } from "../../../store/segments-repo.js";
import { latestLearnedFatigue } from "../../../store/learned-fatigue-repo.js";
import { saveTargets, type TargetRow } from "../../../store/targets-repo.js";
import { loadContactData, outOfStockCategories } from "../../../store/history-repo.js";
import { activeSuppressionRules } from "../../../store/suppression-rules-repo.js";
import { checkEligibilityUnchecked } from "../../../tools/eligibility.js";
import { FEATURE_COUNT } from "../../../tools/features.js";
import { isInGlobalControl } from "../../../tools/holdout.js";
import { planTargets, type Strategy } from "../../../tools/targeting.js";
import { predictUplift, type UpliftModel } from "../../../tools/uplift.js";
import { auditAgentDecision, auditToolCall } from "../audit-helpers.js";
import { applyBrief, briefSendFrom, categoryPreference, pauseSuppressions, windowCap } from "../brief.js";
import { cycleLlm, type CycleDeps } from "../deps.js";
import {
  categoryShares,
  CONTACT_STRATEGIES,
  meanAov,
  nextLocalHour,
  priorUpliftFn,
  segmentSituation,
  targetingCustomer,
  type UpliftFn,
} from "../planning.js";
import { campaignIdOf } from "../ids.js";
import { learnedCandidateLimits } from "../learn-fatigue.js";
import { attachRecommendations } from "../recommend-products.js";
import type { CycleState } from "../state.js";
import { cycleData, segmentOf } from "../cycle-data.js";

export interface LearnedUplift {
  model: UpliftModel;
  channel: string;
  offerDepth: number;
  treated: number;
  holdout: number;
}

/** Uplift from Pulse's own holdouts where a model exists for the strategy (its level, the prior's shape across channels and offers), else the prior. */
async function upliftFunction(
  deps: CycleDeps,
  data: Awaited<ReturnType<typeof cycleData>>,
): Promise<{ fn: UpliftFn; sources: Record<string, string> }> {
  const prior = priorUpliftFn(data);
  const learned = new Map<Strategy, { level: Float64Array; channel: string; offerDepth: number; runId: string }>();
  const rows = data.customerIds.map((_, i) => Array.from(data.features.values.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT)));
  for (const strategy of CONTACT_STRATEGIES) {
    const m = await latestModel<LearnedUplift>(deps.db, `uplift:${strategy}`);
    if (!m || m.asOf > data.asOf) continue;
    learned.set(strategy, {
      level: Float64Array.from(predictUplift(m.params.model, rows)),
      channel: m.params.channel,
      offerDepth: m.params.offerDepth,
      runId: m.runId,
    });
  }
  const fn: UpliftFn = (i, strategy, channel, offerDepth) => {
    const l = learned.get(strategy);
    const p = prior(i, strategy, channel, offerDepth);
    if (!l) return p;
    const base = prior(i, strategy, l.channel, l.offerDepth);
    const shape = Math.abs(base) > 1e-9 ? p / base : 1;
    return l.level[i]! * Math.min(Math.max(shape, 0), 3);
  };
  const sources = Object.fromEntries(CONTACT_STRATEGIES.map((s) => [s, learned.has(s) ? `learned (${learned.get(s)!.runId})` : "prior"]));
  return { fn, sources };
}

export async function planNode(state: CycleState, deps: CycleDeps): Promise<Partial<CycleState>> {
  const { cycleId, settings } = state;
  const asOf = new Date(state.asOf);
  const llm = cycleLlm(deps, state);
  const data = await cycleData(deps, state);
  const membership = await segmentOf(deps, cycleId);
  const segments = state.refresh!.segments;
  const members = new Map(segments.map((s) => [s.segmentId, [] as number[]]));
  data.customerIds.forEach((id, i) => members.get(membership.get(id) ?? "")?.push(i));

  const { fn: uplift, sources } = await upliftFunction(deps, data);
  const situations = segments.map((s) => segmentSituation(data, s, members.get(s.segmentId) ?? [], settings, uplift));
  await auditToolCall(
    deps,
    cycleId,
    "plan_options",
    {
      segments: segments.map((s) => s.segmentId),
      channels: settings.channels,
      offerDepths: settings.offerDepths,
      maxDiscount: settings.maxDiscount,
      uplift: sources,
    },
    situations.map((s) => s.options.filter((o) => o.contacts > 0).length),
    `expected value of ${situations.reduce((n, s) => n + s.options.length, 0)} strategy × channel × offer options over ${segments.length} segments (uplift: ${Object.entries(
      sources,
    )
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")})`,
  );
  const planned0 = await planSegments(situations, { llm: llm.client, maxDiscount: settings.maxDiscount });
  const { provenance } = planned0;
  await auditAgentDecision(deps, state.cycleId, "strategist", `plan for ${situations.length} segments`, provenance);
  const plans = applyBrief(planned0.plans, settings.brief, segments);
  const pauses = await activeSuppressionRules(deps.db, deps.clock.now());
  const sendFrom = briefSendFrom(settings.brief, asOf);

  // Per customer: targeting under the chosen plan, then eligibility at the customer's local send time.
  const outOfStock = await outOfStockCategories(deps.db);
  const targets: TargetRow[] = [];
  const contactIdx: number[] = [];
  const planned = new Map<number, { plannedAt: Date; campaignId: string }>();
  for (const p of plans) {
    const idx = members.get(p.segmentId) ?? [];
    const channel = p.channel ?? "email";
    const fallbackAov = meanAov(data, idx);
    const decided = planTargets({
      strategy: p.strategy,
      channel,
      offerDepth: p.offerDepth,
      customers: idx.map((i) => targetingCustomer(data, i, uplift(i, p.strategy, channel, p.offerDepth), fallbackAov)),
    });
    const campaignId = p.channel ? campaignIdOf(cycleId, p.segmentId, p.strategy, p.channel) : null;
    const prefer = categoryPreference(settings.brief, categoryShares(data, idx, settings.brief?.category));
    decided.decisions.forEach((d, k) => {
      const i = idx[k]!;
      if (prefer && !prefer[k] && d.decision === "contact") {
        d.decision = "skip";
        d.reasons = [{ code: "outside_brief_category", message: `no ${settings.brief!.category} purchases: the brief prefers its buyers` }];
      }
      const late = d.decision === "contact" && windowCap(settings.brief, nextLocalHour(sendFrom, data.timezones[i]!, p.sendHourLocal));
      if (late) Object.assign(d, { decision: "skip", reasons: [late] });
      const feature = data.features.values.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT);
      targets.push({
        customerId: d.customerId,
        segmentId: p.segmentId,
        strategy: p.strategy,
        channel: p.channel,
        offerDepth: p.offerDepth,
        campaignId,
        decision: d.decision,
        predictedUplift: p.channel ? uplift(i, p.strategy, channel, p.offerDepth) : null,
        expectedValue: d.expectedValue,
        reasons: d.reasons,
        features: feature,
        topCategory: data.topCategory[i] ?? null,
      });
      if (d.decision === "contact") {
        contactIdx.push(targets.length - 1);
        planned.set(targets.length - 1, {
          plannedAt: nextLocalHour(sendFrom, data.timezones[i]!, p.sendHourLocal),
          campaignId: campaignId!,
        });
      }
    });
  }

  const contactCustomers = contactIdx.map((t) => targets[t]!.customerId);
  const contact = await loadContactData(deps.db, contactCustomers, asOf);
  const learnedFatigue = await latestLearnedFatigue(deps.db);
  // Unchecked: candidates and contact data are built here from the store's typed rows.
  const eligibility = checkEligibilityUnchecked({
    candidates: contactIdx.map((t) => ({
      candidateId: String(t),
      customerId: targets[t]!.customerId,
      channel: targets[t]!.channel!,
      purpose: "marketing" as const,
      plannedAt: planned.get(t)!.plannedAt.toISOString(),
      campaignId: planned.get(t)!.campaignId,
      strategy: targets[t]!.strategy,
      ...learnedCandidateLimits(
        learnedFatigue,
        targets[t]!.segmentId,
        targets[t]!.channel!,
        data.fatigue.score[data.index.get(targets[t]!.customerId)!],
      ),
    })),
    customers: contactCustomers.map((id, k) => {
      const c = contact.get(id)!;
      const tz = data.timezones[data.index.get(id)!]!;
      return {
        customerId: id,
        timezone: tz,
        consents: c.consents.map((x) => ({
          channel: x.channel as (typeof CHANNELS)[number],
          purpose: x.purpose as "marketing" | "transactional",
          status: x.status as "granted" | "revoked",
          recordedAt: x.recordedAt.toISOString(),
          ...(x.source ? { source: x.source } : {}),
        })),
        suppressions: [...c.suppressions, ...pauseSuppressions(pauses, membership.get(id), planned.get(contactIdx[k]!)!.plannedAt)].map(
          (x) => ({
            channel: x.channel as (typeof CHANNELS)[number] | "all",
            reason: x.reason,
            addedAt: x.addedAt.toISOString(),
          }),
        ),
        sends: c.sends.map((x) => ({ channel: x.channel as (typeof CHANNELS)[number], at: x.at.toISOString() })),
        lastConversionAt: c.lastConversionAt?.toISOString() ?? null,
        globalControl: isInGlobalControl(id, { salt: settings.globalControlSalt, share: settings.globalControlShare }),
      };
    }),
    outOfStockCategories: outOfStock,
    config: settings.eligibility,
  });
  for (const d of eligibility.decisions) {
    const t = targets[Number(d.candidateId)]!;
    if (!d.eligible) {
      t.decision = "skip";
      t.reasons = d.reasons.map((r) => ({ code: r.code, message: r.message }));
    }
  }
  await auditToolCall(
    deps,
    cycleId,
    "eligibility",
    { candidates: contactIdx.length, outOfStock },
    { eligible: eligibility.eligibleCount, blockedBy: eligibility.blockedBy },
    `${eligibility.eligibleCount} of ${contactIdx.length} candidates eligible`,
  );
  await attachRecommendations(deps, cycleId, asOf, targets);
  await saveTargets(deps.db, cycleId, targets);
  // Review, activation and its shards, and measurement read the targets: give the planner their size.
  await analyzeTables(deps.db, [{ table: "cycle_targets", columns: ["cycle_id", "customer_id", "campaign_id", "decision", "segment_id"] }]);

  // Audit: the plan, then every customer's verdict (eligibility for candidates, suppression for the rest).
  const eligibleByIdx = new Map(eligibility.decisions.map((d) => [Number(d.candidateId), d]));
  await deps.audit.append({
    kind: "plan",
    actor: deps.actor,
    cycleId,
    entry: {
      planId: `${cycleId}.plan`,
      version: 1,
      segments: plans.map((p) => ({
        segmentId: p.segmentId,
        segmentName: p.name,
        strategy: p.strategy,
        channel: p.channel,
        offer: p.channel ? { type: p.offerDepth > 0 ? "percent_off" : "none", depth: p.offerDepth } : null,
        timing: p.channel ? `${String(p.sendHourLocal).padStart(2, "0")}:00 in each customer's time zone` : "no send",
        budget: p.budget,
        audienceSize: targets.filter((t) => t.segmentId === p.segmentId && t.decision === "contact").length,
        reasons: [...p.reasons, `uplift source: ${sources[p.strategy] ?? "none"}`],
      })),
      totalBudget: Math.round(plans.reduce((s, p) => s + p.budget, 0) * 100) / 100,
    },
  });
  await deps.audit.appendMany(
    targets.map((t, k) => {
      const e = eligibleByIdx.get(k);
      if (e) {
        return {
          kind: "eligibility" as const,
          actor: deps.actor,
          cycleId,
          customerId: t.customerId,
          entry: {
            channel: t.channel!,
            eligible: e.eligible,
            reasons: e.reasons.map((r) => ({ code: r.code, message: r.message })),
          },
        };
      }
      const r = t.reasons[0] ?? { code: "not_targeted", message: "not targeted" };
      return {
        kind: "suppression" as const,
        actor: deps.actor,
        cycleId,
        customerId: t.customerId,
        entry: {
          channel: t.channel ?? ("all" as const),
          reasonCode: r.code,
          reason: t.reasons
            .map((x) => x.message)
            .join("; ")
            .slice(0, 1000),
        },
      };
    }),
  );

  const skipped: Record<string, number> = {};
  for (const t of targets)
    if (t.decision === "skip") skipped[t.reasons[0]?.code ?? "unknown"] = (skipped[t.reasons[0]?.code ?? "unknown"] ?? 0) + 1;
  return {
    status: "planned",
    agents: { ...state.agents, strategist: provenance },
    plan: {
      segments: plans.map((p) => ({
        segmentId: p.segmentId,
        name: p.name,
        strategy: p.strategy,
        channel: p.channel,
        offerDepth: p.offerDepth,
        sendHourLocal: p.sendHourLocal,
        contacts: targets.filter((t) => t.segmentId === p.segmentId && t.decision === "contact").length,
        budget: p.budget,
        expectedIncrementalMargin: p.expectedIncrementalMargin,
        reasons: p.reasons,
        upliftSource: sources[p.strategy] ?? "none",
      })),
      considered: targets.length,
      contacts: targets.filter((t) => t.decision === "contact").length,
      skipped,
    },
    llm: llm.usage(),
  };
}
