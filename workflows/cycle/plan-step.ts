import type { SegmentPlan } from "../../agents/strategist/index.js";
import { CHANNELS, OFFER_STRATEGIES, isSendingStrategy, type Channel, type Strategy } from "../../core/domain.js";
import type { NewAuditEntry } from "../../guardrails/audit-entries.js";
import type { HourHistogram } from "../../store/evidence-repo.js";
import type { ContactData } from "../../store/history-repo.js";
import type { SuppressionRule } from "../../store/suppression-rules-repo.js";
import type { TargetRow } from "../../store/targets-repo.js";
import { chooseArm } from "../../tools/bandit.js";
import { CHANNEL_PRIOR_SENDS, chooseChannelUnchecked } from "../../tools/channel-choice.js";
import type { candidateContactSchema, customerContactDataSchema, EligibilityDecision } from "../../tools/eligibility.js";
import type { z } from "zod";

type CandidateContact = z.infer<typeof candidateContactSchema>;
type CustomerContactData = z.infer<typeof customerContactDataSchema>;
import { FEATURE_COUNT } from "../../tools/features.js";
import { chooseSendTimeUnchecked, SEND_TIME_DEFAULTS } from "../../tools/send-time.js";
import { DEFAULT_MESSAGE_COST, planTargetsUnchecked } from "../../tools/targeting.js";
import { categoryPreference, pauseSuppressions, windowCap } from "./brief.js";
import { campaignIdOf, planIdOf } from "./ids.js";
import { hasConsent, type CycleData } from "./cycle-data.js";
import { armIdOf, offerBandit, type LearnedUplift, type OfferBandit, type Readout } from "./plan-learning.js";
import {
  categoryShares,
  customerRetainedMargin,
  customerValue,
  meanAov,
  nextLocalHour,
  targetingCustomer,
  type UpliftFn,
} from "./planning.js";
import type { CycleSettings } from "./settings.js";

/**
 * Pure: from the strategist's plan per segment to every customer's decision. Per segment × strategy
 * the offer bandit draws each customer's offer depth (and its propensity); per customer the channel
 * with the best expected uplift net of its cost among those they consented to; targeting decides
 * whether that contact pays; the send time is the customer's own best hour outside quiet hours.
 * No database: the node loads, this decides, the node saves and audits.
 */

export interface PlannedCampaign {
  campaignId: string;
  channel: Channel;
  offerDepth: number;
  contacts: number;
}

export interface SegmentDecisions {
  plan: SegmentPlan;
  bandit: OfferBandit | null;
  campaigns: PlannedCampaign[];
  /** Contacts per channel and per send-time source, for the plan's reasons. */
  channelMix: Record<string, number>;
  sendTimeSources: Record<string, number>;
}

export interface CustomerDecisionsInput {
  cycleId: string;
  sendFrom: Date;
  settings: CycleSettings;
  data: CycleData;
  plans: readonly SegmentPlan[];
  members: ReadonlyMap<string, readonly number[]>;
  uplift: LearnedUplift;
  prior: UpliftFn;
  readouts: readonly Readout[];
  hours: ReadonlyMap<string, HourHistogram>;
  asOf: number;
}

export interface CustomerDecisions {
  targets: TargetRow[];
  /** Index into targets of every contact candidate, with its planned send time and campaign. */
  candidates: { target: number; plannedAt: Date; campaignId: string }[];
  segments: SegmentDecisions[];
}

const zeros = () => new Array<number>(24).fill(0);
const OFFER_SET = new Set<Strategy>(OFFER_STRATEGIES);

/** The channels customer i may be messaged on this cycle: consented, not backed off, allowed by the settings. */
export function reachableChannels(data: CycleData, i: number, channels: readonly Channel[]): Channel[] {
  const allowed = data.fatigue.allowedChannels[i]!;
  return channels.filter((c) => hasConsent(data, i, c) && allowed.includes(c));
}

/** The per-customer decisions of every segment's plan. */
export function decideCustomers(input: CustomerDecisionsInput): CustomerDecisions {
  const { data, settings, cycleId } = input;
  const targets: TargetRow[] = [];
  const candidates: CustomerDecisions["candidates"] = [];
  const segments: SegmentDecisions[] = [];
  const quietHours = settings.eligibility.quietHours;
  for (const p of input.plans) {
    const idx = input.members.get(p.segmentId) ?? [];
    const fallbackAov = meanAov(data, idx);
    const sending = p.channel !== null && isSendingStrategy(p.strategy);
    const strategy = p.strategy;
    const planChannel = (p.channel ?? "email") as Channel;

    // The offer bandit of this segment × strategy (offer strategies only; the others send without a discount).
    const depths = sending && OFFER_SET.has(strategy) ? settings.offerDepths.filter((d) => d <= settings.maxDiscount) : [p.offerDepth];
    let bandit: OfferBandit | null = null;
    if (sending && depths.length > 1) {
      let margin = 0;
      let baseline = 0;
      for (const i of idx) {
        margin += customerValue(data, i, fallbackAov).marginRate;
        baseline += data.baselinePurchase[i]!;
      }
      const n = Math.max(1, idx.length);
      bandit = offerBandit({
        key: `${cycleId}|${p.segmentId}|${strategy}`,
        segmentId: p.segmentId,
        strategy,
        arms: depths.map((d) => {
          let u = 0;
          let k = 0;
          for (const i of idx) {
            const reach = reachableChannels(data, i, settings.channels);
            if (reach.length === 0) continue;
            u += Math.max(...reach.map((c) => input.uplift.fn(i, strategy, c, d)));
            k++;
          }
          return { offerDepth: d, predictedRate: baseline / n + (k ? u / k : 0), value: margin / n - d };
        }),
        readouts: input.readouts,
        asOf: input.asOf,
        halfLifeDays: settings.evidenceHalfLifeDays,
        options: settings.bandit,
      });
    }
    const greedyDepth = bandit ? bandit.arms.find((a) => a.armId === bandit!.policy.greedyArmId)!.offerDepth : p.offerDepth;
    const plan: SegmentPlan = bandit ? { ...p, offerDepth: greedyDepth } : p;

    // Each member's arm, channel and send hour.
    const chosen = idx.map((i) => {
      const customerId = data.customerIds[i]!;
      let depth = plan.offerDepth;
      let armId: string | null = null;
      let propensity: number | null = null;
      if (sending) {
        if (bandit) {
          const arm = chooseArm(bandit.policy, bandit.key, customerId);
          depth = bandit.arms.find((a) => a.armId === arm.armId)!.offerDepth;
          armId = arm.armId;
          propensity = arm.propensity;
        } else {
          armId = armIdOf(depth);
          propensity = 1;
        }
      }
      let channel: Channel = planChannel;
      let unreachable = false;
      if (sending) {
        const value = customerValue(data, i, fallbackAov);
        // Unchecked: every field comes from the cycle's typed columns (the tool's schema is for outside callers).
        const choice = chooseChannelUnchecked({
          options: CHANNELS.filter((c) => settings.channels.includes(c)).map((c) => ({
            channel: c,
            consented: hasConsent(data, i, c),
            backedOff: !data.fatigue.allowedChannels[i]!.includes(c),
            // The customer's own response rate is already in the uplift (the fatigue tool's shrunk engagement per channel).
            sends: 0,
            responses: 0,
            segmentResponseRate: 0,
            segmentUplift: Math.max(-1, Math.min(1, input.uplift.fn(i, strategy, c, depth))),
            costPerMessage: DEFAULT_MESSAGE_COST[c],
          })),
          valuePerConversion:
            value.expectedOrderValue * Math.max(0, value.marginRate - depth) +
            customerRetainedMargin(data, i, value, settings.retentionHorizonWeeks),
          priorSends: CHANNEL_PRIOR_SENDS,
        });
        // None pays: the eligible channel closest to paying, so targeting can say by how much it falls short.
        const fallback = choice.scored.filter((x) => x.eligible).sort((a, b) => b.net - a.net)[0];
        if (choice.channel) channel = choice.channel;
        else if (fallback) channel = fallback.channel;
        else unreachable = true;
      }
      return { i, customerId, depth, armId, propensity, channel, unreachable };
    });

    // Targeting per (channel, depth) group: does this contact pay?
    const groups = new Map<string, typeof chosen>();
    for (const c of chosen) {
      const k = `${c.channel}|${c.depth}`;
      const g = groups.get(k);
      if (g) g.push(c);
      else groups.set(k, [c]);
    }
    const prefer = categoryPreference(settings.brief, categoryShares(data, idx, settings.brief?.category));
    const position = new Map(idx.map((i, k) => [i, k]));
    const byCampaign = new Map<string, PlannedCampaign>();
    const channelMix: Record<string, number> = {};
    const sendTimeSources: Record<string, number> = {};
    const segmentHours = zeros();
    if (sending)
      for (const i of idx) {
        const h = input.hours.get(data.customerIds[i]!);
        if (h) for (let x = 0; x < 24; x++) segmentHours[x] += h.opens[x]! + 2 * h.clicks[x]! + 4 * h.purchases[x]!;
      }
    for (const group of groups.values()) {
      const { channel, depth } = group[0]!;
      const decided = planTargetsUnchecked({
        strategy,
        channel,
        offerDepth: depth,
        messageCost: DEFAULT_MESSAGE_COST,
        minExpectedValue: 0,
        customers: group.map((c) =>
          targetingCustomer(
            data,
            c.i,
            input.uplift.fn(c.i, strategy, channel, depth),
            fallbackAov,
            settings.retentionHorizonWeeks,
            channel,
          ),
        ),
      });
      const campaignId = sending
        ? campaignIdOf(cycleId, p.segmentId, strategy, channel, depth === plan.offerDepth ? undefined : depth)
        : null;
      decided.decisions.forEach((d, k) => {
        const c = group[k]!;
        const i = c.i;
        if (c.unreachable && d.decision === "contact") {
          d.decision = "skip";
          d.reasons = data.consented[i]
            ? [
                {
                  code: "channel_backed_off",
                  message: "every channel the customer consented to is backed off (unanswered streak, unsubscribe or bounce)",
                },
              ]
            : [{ code: "no_consent", message: "no channel with a marketing consent in force" }];
        }
        if (prefer && !prefer[position.get(i)!] && d.decision === "contact") {
          d.decision = "skip";
          d.reasons = [
            { code: "outside_brief_category", message: `no ${settings.brief!.category} purchases: the brief prefers its buyers` },
          ];
        }
        let plannedAt: Date | null = null;
        if (d.decision === "contact") {
          const h = input.hours.get(c.customerId);
          const st = chooseSendTimeUnchecked({
            ...SEND_TIME_DEFAULTS,
            customerId: c.customerId,
            decisionKey: cycleId,
            opens: h?.opens ?? zeros(),
            clicks: h?.clicks ?? zeros(),
            purchases: h?.purchases ?? zeros(),
            segmentHistogram: segmentHours,
            quietHours,
          });
          sendTimeSources[st.source] = (sendTimeSources[st.source] ?? 0) + 1;
          plannedAt = nextLocalHour(input.sendFrom, data.timezones[i]!, st.hour ?? plan.sendHourLocal);
          // Nothing planned at or after the brief's window end.
          const late = windowCap(settings.brief, plannedAt);
          if (late) {
            d.decision = "skip";
            d.reasons = [late];
            plannedAt = null;
          }
        }
        const feature = data.features.values.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT);
        targets.push({
          customerId: c.customerId,
          segmentId: p.segmentId,
          strategy,
          channel: sending ? channel : p.channel,
          offerDepth: sending ? depth : p.offerDepth,
          campaignId,
          decision: d.decision,
          predictedUplift: sending ? input.uplift.fn(i, strategy, channel, depth) : null,
          priorUplift: sending ? input.prior(i, strategy, channel, depth) : null,
          expectedValue: d.expectedValue,
          reasons: d.reasons,
          features: feature,
          topCategory: data.topCategory[i] ?? null,
          plannedAt,
          armId: c.armId,
          propensity: c.propensity,
        });
        if (d.decision === "contact" && campaignId && plannedAt) {
          candidates.push({ target: targets.length - 1, plannedAt, campaignId });
          channelMix[channel] = (channelMix[channel] ?? 0) + 1;
          const camp = byCampaign.get(campaignId) ?? { campaignId, channel, offerDepth: depth, contacts: 0 };
          camp.contacts++;
          byCampaign.set(campaignId, camp);
        }
      });
    }
    segments.push({
      plan,
      bandit,
      campaigns: [...byCampaign.values()].sort((a, b) => a.campaignId.localeCompare(b.campaignId)),
      channelMix,
      sendTimeSources,
    });
  }
  return { targets, candidates, segments };
}

/** Eligibility's verdicts applied to the targets: an ineligible candidate is skipped with eligibility's reasons. */
export function applyEligibility(
  decisions: CustomerDecisions,
  verdicts: readonly EligibilityDecision[],
): { eligibleByTarget: Map<number, EligibilityDecision> } {
  const eligibleByTarget = new Map<number, EligibilityDecision>();
  for (const v of verdicts) {
    const k = decisions.candidates[Number(v.candidateId)]!.target;
    eligibleByTarget.set(k, v);
    const t = decisions.targets[k]!;
    if (!v.eligible) {
      t.decision = "skip";
      t.reasons = v.reasons.map((r) => ({ code: r.code, message: r.message }));
    }
  }
  for (const s of decisions.segments) for (const c of s.campaigns) c.contacts = 0;
  const campaigns = new Map(decisions.segments.flatMap((s) => s.campaigns.map((c) => [c.campaignId, c] as const)));
  for (const t of decisions.targets) if (t.decision === "contact" && t.campaignId) campaigns.get(t.campaignId)!.contacts++;
  for (const s of decisions.segments) s.campaigns = s.campaigns.filter((c) => c.contacts > 0);
  return { eligibleByTarget };
}

/**
 * The eligibility tool's candidates (candidate id = position in `candidates`), each with the limits
 * learned for its segment and channel (learn-fatigue.ts) when there are any.
 */
export function eligibilityCandidates(
  decisions: CustomerDecisions,
  learnedLimits: (t: TargetRow) => Partial<Pick<CandidateContact, "learnedRollingCap" | "cooldownThreshold" | "fatigue">> = () => ({}),
): CandidateContact[] {
  return decisions.candidates.map((c, k) => {
    const t = decisions.targets[c.target]!;
    return {
      ...learnedLimits(t),
      candidateId: String(k),
      customerId: t.customerId,
      channel: t.channel!,
      purpose: "marketing" as const,
      plannedAt: c.plannedAt.toISOString(),
      campaignId: c.campaignId,
      strategy: t.strategy,
    };
  });
}

// --- what the plan says, and the audit --------------------------------------------------------

const pctOf = (d: number) => `${Math.round(d * 100)}%`;

/** Which of a segment's decisions come from learned evidence and which from the prior, per campaign. */
export function upliftSourceOf(s: SegmentDecisions, uplift: LearnedUplift): string {
  if (s.campaigns.length === 0) return "none";
  const parts = s.campaigns.map((c) => {
    const cal = uplift.calibration(s.plan.segmentId, s.plan.strategy, c.channel, c.offerDepth);
    return cal.source === "learned"
      ? `${c.channel} ${pctOf(c.offerDepth)}: learned (${cal.level}, prior × ${cal.scale.toFixed(2)})`
      : `${c.channel} ${pctOf(c.offerDepth)}: prior`;
  });
  const learned = parts.filter((p) => p.includes("learned")).length;
  return `${learned ? `learned for ${learned} of ${parts.length} campaigns` : "prior"}: ${parts.join("; ")}`.slice(0, 900);
}

/** The reasons the plan gives per segment for its offers, channels and send times. */
export function decisionReasons(s: SegmentDecisions): string[] {
  const out: string[] = [];
  if (s.bandit) {
    const arms = s.bandit.policy.propensities
      .map((p) => `${p.armId} ${(p.propensity * 100).toFixed(1)}% (mean ${(p.posteriorMean * 100).toFixed(1)}%)`)
      .join(", ");
    out.push(
      `offer bandit: ${s.bandit.policy.reasons.join("; ")}; draws ${arms}; exploration ${(s.bandit.policy.exploreShare * 100).toFixed(1)}%`,
    );
  }
  const mix = Object.entries(s.channelMix);
  if (mix.length)
    out.push(`channel per customer (best expected uplift net of cost among consented): ${mix.map(([c, n]) => `${c} ${n}`).join(", ")}`);
  const st = Object.entries(s.sendTimeSources);
  if (st.length)
    out.push(
      `send hour per customer (own history, segment prior, exploration; never in quiet hours): ${st.map(([c, n]) => `${c} ${n}`).join(", ")}`,
    );
  return out;
}

export interface PlanSummarySegment {
  segmentId: string;
  name: string;
  strategy: Strategy;
  channel: Channel | null;
  offerDepth: number;
  sendHourLocal: number;
  contacts: number;
  budget: number;
  expectedIncrementalMargin: number;
  reasons: string[];
  upliftSource: string;
  campaigns: PlannedCampaign[];
}

/** The plan as the cycle's state keeps it. */
export function planSummary(decisions: CustomerDecisions, uplift: LearnedUplift) {
  const contactsBy = new Map<string, number>();
  const skipped: Record<string, number> = {};
  for (const t of decisions.targets) {
    if (t.decision === "contact") contactsBy.set(t.segmentId, (contactsBy.get(t.segmentId) ?? 0) + 1);
    else skipped[t.reasons[0]?.code ?? "unknown"] = (skipped[t.reasons[0]?.code ?? "unknown"] ?? 0) + 1;
  }
  const segments: PlanSummarySegment[] = decisions.segments.map((s) => ({
    segmentId: s.plan.segmentId,
    name: s.plan.name,
    strategy: s.plan.strategy,
    channel: s.plan.channel,
    offerDepth: s.plan.offerDepth,
    sendHourLocal: s.plan.sendHourLocal,
    contacts: contactsBy.get(s.plan.segmentId) ?? 0,
    budget: s.plan.budget,
    expectedIncrementalMargin: s.plan.expectedIncrementalMargin,
    reasons: [...s.plan.reasons, ...decisionReasons(s)],
    upliftSource: upliftSourceOf(s, uplift),
    campaigns: s.campaigns,
  }));
  return {
    segments,
    considered: decisions.targets.length,
    contacts: decisions.targets.filter((t) => t.decision === "contact").length,
    skipped,
  };
}

/** The plan's audit entry document. */
export function planAuditEntry(cycleId: string, summary: ReturnType<typeof planSummary>) {
  return {
    planId: planIdOf(cycleId),
    version: 1,
    segments: summary.segments.map((p) => ({
      segmentId: p.segmentId,
      segmentName: p.name,
      strategy: p.strategy,
      channel: p.channel,
      offer: p.channel ? { type: p.offerDepth > 0 ? ("percent_off" as const) : ("none" as const), depth: p.offerDepth } : null,
      timing: p.channel
        ? `each customer's own best hour outside quiet hours (segment default ${String(p.sendHourLocal).padStart(2, "0")}:00 local)`
        : "no send",
      budget: p.budget,
      audienceSize: p.contacts,
      reasons: [...p.reasons, `uplift source: ${p.upliftSource}`].map((r) => r.slice(0, 1000)),
    })),
    totalBudget: Math.round(summary.segments.reduce((s, p) => s + p.budget, 0) * 100) / 100,
  };
}

/** The eligibility tool's customer records for the candidates (consents, suppressions with pauses in force at the planned time, sends). */
export function eligibilityCustomers(input: {
  decisions: CustomerDecisions;
  data: CycleData;
  contact: ReadonlyMap<string, ContactData>;
  pauses: readonly SuppressionRule[];
  membership: ReadonlyMap<string, string>;
  globalControl: (customerId: string) => boolean;
}): CustomerContactData[] {
  return input.decisions.candidates.map((cand) => {
    const id = input.decisions.targets[cand.target]!.customerId;
    const c = input.contact.get(id)!;
    return {
      customerId: id,
      timezone: input.data.timezones[input.data.index.get(id)!]!,
      consents: c.consents.map((x) => ({
        channel: x.channel as Channel,
        purpose: x.purpose as "marketing" | "transactional",
        status: x.status as "granted" | "revoked",
        recordedAt: x.recordedAt.toISOString(),
        ...(x.source ? { source: x.source } : {}),
      })),
      suppressions: [...c.suppressions, ...pauseSuppressions(input.pauses, input.membership.get(id), cand.plannedAt)].map((x) => ({
        channel: x.channel as Channel | "all",
        reason: x.reason,
        addedAt: x.addedAt.toISOString(),
      })),
      sends: c.sends.map((x) => ({ channel: x.channel as Channel, at: x.at.toISOString() })),
      lastConversionAt: c.lastConversionAt?.toISOString() ?? null,
      globalControl: input.globalControl(id),
    };
  });
}

/** Every considered customer's audit verdict: eligibility for candidates, the first skip reason for the rest. */
export function customerAuditEntries(
  targets: readonly TargetRow[],
  eligibleByTarget: ReadonlyMap<number, EligibilityDecision>,
  actor: string,
  cycleId: string,
): NewAuditEntry[] {
  return targets.map((t, k): NewAuditEntry => {
    const e = eligibleByTarget.get(k);
    if (e) {
      return {
        kind: "eligibility",
        actor,
        cycleId,
        customerId: t.customerId,
        entry: { channel: t.channel!, eligible: e.eligible, reasons: e.reasons.map((r) => ({ code: r.code, message: r.message })) },
      };
    }
    const r = t.reasons[0] ?? { code: "not_targeted", message: "not targeted" };
    return {
      kind: "suppression",
      actor,
      cycleId,
      customerId: t.customerId,
      entry: {
        channel: t.channel ?? "all",
        reasonCode: r.code,
        reason: t.reasons
          .map((x) => x.message)
          .join("; ")
          .slice(0, 1000),
      },
    };
  });
}
