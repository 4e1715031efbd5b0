import type { OrderLineRow, ResponseRow } from "../../ingest/formats.js";
import { DEFAULT_MESSAGE_COST } from "../../tools/targeting.js";

/**
 * How the policy's segments followed its customers at one cycle's refresh, against the last run:
 * segments born and retired, and customers who changed segment (Pulse only: the rule-based
 * policies do not segment).
 */
export interface SegmentChanges {
  segments: number;
  births: string[];
  deaths: string[];
  /** Customers seen in both runs whose segment changed, and the largest flows; null on the first run. */
  migrated: number | null;
  flows: { from: string; to: string; customers: number }[];
  /** Share of customers seen in both runs who kept their segment; null on the first run. */
  stability: number | null;
}

/** What one policy's world did over one cycle, from the rows the world returned. */
export interface CycleFigures {
  cycle: number;
  /** Completed order lines: quantity × price − discount. */
  revenue: number;
  discounts: number;
  messageCost: number;
  /** Completed lines' margin (already net of their discount) minus the cycle's message costs. */
  margin: number;
  messages: number;
  optouts: number;
  conversions: number;
  /** Expected incremental purchases the policy's messages had (ground truth), null when not computed. */
  expectedEffect: number | null;
  /** The oracle's expected incremental purchases on the same sample, null when not computed. */
  oracleEffect: number | null;
  /** The refresh's segment births, deaths and migrations this cycle; null for a policy without segments. */
  segments?: SegmentChanges | null;
}

export type MessageCosts = Readonly<Record<string, number>>;

/** Sums one cycle's orders, responses and messages into its figures. */
export function cycleFigures(
  cycle: number,
  rows: {
    orders: readonly Pick<OrderLineRow, "quantity" | "unit_price" | "discount" | "margin" | "status">[];
    responses: readonly Pick<ResponseRow, "type">[];
  },
  messages: readonly { channel: string }[],
  costs: MessageCosts = DEFAULT_MESSAGE_COST,
  regret: { expectedEffect: number; oracleEffect: number } | null = null,
): CycleFigures {
  let revenue = 0;
  let discounts = 0;
  let lineMargin = 0;
  for (const l of rows.orders) {
    if (l.status !== "completed") continue;
    revenue += l.quantity * l.unit_price - l.discount;
    discounts += l.discount;
    lineMargin += l.margin ?? 0;
  }
  let messageCost = 0;
  for (const m of messages) messageCost += costs[m.channel] ?? 0;
  let optouts = 0;
  let conversions = 0;
  for (const r of rows.responses) {
    if (r.type === "unsubscribe") optouts++;
    else if (r.type === "conversion") conversions++;
  }
  return {
    cycle,
    revenue,
    discounts,
    messageCost,
    margin: lineMargin - messageCost,
    messages: messages.length,
    optouts,
    conversions,
    expectedEffect: regret?.expectedEffect ?? null,
    oracleEffect: regret?.oracleEffect ?? null,
  };
}

/** Share of the customers active at the start who are still active at the end (1 when none were). */
export function retention(activeAtStart: ReadonlySet<string>, activeAtEnd: ReadonlySet<string>): number {
  if (activeAtStart.size === 0) return 1;
  let kept = 0;
  for (const id of activeAtStart) if (activeAtEnd.has(id)) kept++;
  return kept / activeAtStart.size;
}

export interface PolicyRun {
  policy: string;
  cycles: CycleFigures[];
  retention: number;
  activeAtStart: number;
  seconds: number;
  /** A digest of the world when the policy started (paired worlds must agree). */
  startDigest: string;
  notes?: string[];
  /** Pulse only: what each of its cycles decided (plan per segment, holdouts, skips, uplift sources). */
  pulseCycles?: unknown[];
}

export interface PolicySeriesPoint {
  cycle: number;
  revenue: number;
  margin: number;
  incremental_margin: number | null;
  cumulative_incremental_margin: number | null;
  messages: number;
  optouts: number;
  cumulative_optouts: number;
  regret: number | null;
  segments: SegmentChanges | null;
}

export interface PolicyResult {
  policy: string;
  revenue: number;
  margin: number;
  /** Margin minus the `none` policy's margin on the paired world; null without a `none` run. */
  incremental_margin: number | null;
  messages: number;
  optouts: number;
  retention: number;
  discounts: number;
  message_cost: number;
  conversions: number;
  /** Oracle's minus the policy's expected incremental purchases, summed over cycles; null when not computed. */
  regret: number | null;
  /** Opt-outs per thousand messages. */
  optouts_per_1k_messages: number | null;
  seconds: number;
  series: PolicySeriesPoint[];
  notes?: string[];
  pulse_cycles?: unknown[];
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

/** Totals per policy, increments against `none` cycle by cycle, cumulative series. */
export function summarizeRuns(runs: readonly PolicyRun[]): PolicyResult[] {
  const none = runs.find((r) => r.policy === "none");
  return runs.map((run) => {
    let cumInc = 0;
    let cumOpt = 0;
    const series = run.cycles.map((c, i) => {
      const base = none?.cycles[i];
      const inc = base ? c.margin - base.margin : null;
      if (inc !== null) cumInc += inc;
      cumOpt += c.optouts;
      return {
        cycle: c.cycle,
        revenue: c.revenue,
        margin: c.margin,
        incremental_margin: inc,
        cumulative_incremental_margin: inc === null ? null : cumInc,
        messages: c.messages,
        optouts: c.optouts,
        cumulative_optouts: cumOpt,
        regret: c.oracleEffect !== null && c.expectedEffect !== null ? c.oracleEffect - c.expectedEffect : null,
        segments: c.segments ?? null,
      };
    });
    const margin = sum(run.cycles.map((c) => c.margin));
    const messages = sum(run.cycles.map((c) => c.messages));
    const optouts = sum(run.cycles.map((c) => c.optouts));
    const regrets = series.map((s) => s.regret);
    return {
      policy: run.policy,
      revenue: sum(run.cycles.map((c) => c.revenue)),
      margin,
      incremental_margin: none ? margin - sum(none.cycles.map((c) => c.margin)) : null,
      messages,
      optouts,
      retention: run.retention,
      discounts: sum(run.cycles.map((c) => c.discounts)),
      message_cost: sum(run.cycles.map((c) => c.messageCost)),
      conversions: sum(run.cycles.map((c) => c.conversions)),
      regret: regrets.length > 0 && regrets.every((r) => r !== null) ? sum(regrets as number[]) : null,
      optouts_per_1k_messages: messages > 0 ? (1000 * optouts) / messages : null,
      seconds: run.seconds,
      series,
      ...(run.notes?.length ? { notes: run.notes } : {}),
      ...(run.pulseCycles ? { pulse_cycles: run.pulseCycles } : {}),
    };
  });
}

/** Pulse against a peer: the comparisons, as ratios (null where the peer is missing or zero). */
export function compareTo(
  pulse: PolicyResult,
  peer: PolicyResult,
): {
  messages_reduction: number | null;
  optouts_reduction: number | null;
  incremental_margin_delta: number | null;
  retention_delta: number;
} {
  return {
    messages_reduction: peer.messages > 0 ? 1 - pulse.messages / peer.messages : null,
    optouts_reduction: peer.optouts > 0 ? 1 - pulse.optouts / peer.optouts : null,
    incremental_margin_delta:
      pulse.incremental_margin !== null && peer.incremental_margin !== null ? pulse.incremental_margin - peer.incremental_margin : null,
    retention_delta: pulse.retention - peer.retention,
  };
}
