import { compareTo, type PolicyResult } from "./metrics.js";

/** The floors, from the founding study: messages −24.3% and opt-outs −41.8% against mass messaging. */
export const TARGETS = { messagesReduction: 0.243, optoutsReduction: 0.418 } as const;

export interface TargetCheck {
  target: string;
  value: number | null;
  met: boolean | null;
}

/** Mean of the per-cycle incremental margin over the first and the last third of the cycles (at least one each). */
export function incrementalTrend(p: PolicyResult): { first: number | null; last: number | null } {
  const inc = p.series.map((s) => s.incremental_margin).filter((v): v is number => v !== null);
  if (inc.length < 2) return { first: null, last: null };
  const n = Math.max(1, Math.floor(inc.length / 3));
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return { first: mean(inc.slice(0, n)), last: mean(inc.slice(-n)) };
}

/** Pulse against blast and rfm_rules, target by target; null where a policy needed for it did not run. */
export function checkTargets(results: readonly PolicyResult[]): TargetCheck[] {
  const pulse = results.find((r) => r.policy === "pulse");
  if (!pulse) return [];
  const out: TargetCheck[] = [];
  const blast = results.find((r) => r.policy === "blast");
  if (blast) {
    const c = compareTo(pulse, blast);
    out.push(
      {
        target: "incremental margin above blast",
        value: c.incremental_margin_delta,
        met: c.incremental_margin_delta === null ? null : c.incremental_margin_delta > 0,
      },
      {
        target: `messages at least ${(100 * TARGETS.messagesReduction).toFixed(1)}% fewer than blast`,
        value: c.messages_reduction,
        met: c.messages_reduction === null ? null : c.messages_reduction >= TARGETS.messagesReduction,
      },
      {
        target: `opt-outs at least ${(100 * TARGETS.optoutsReduction).toFixed(1)}% fewer than blast`,
        value: c.optouts_reduction,
        met: c.optouts_reduction === null ? null : c.optouts_reduction >= TARGETS.optoutsReduction,
      },
      { target: "retention at least blast's", value: c.retention_delta, met: c.retention_delta >= 0 },
    );
  }
  const rfm = results.find((r) => r.policy === "rfm_rules");
  if (rfm) {
    const c = compareTo(pulse, rfm);
    out.push(
      {
        target: "incremental margin above rfm_rules",
        value: c.incremental_margin_delta,
        met: c.incremental_margin_delta === null ? null : c.incremental_margin_delta > 0,
      },
      { target: "fewer opt-outs than rfm_rules", value: pulse.optouts - rfm.optouts, met: pulse.optouts < rfm.optouts },
    );
  }
  const trend = incrementalTrend(pulse);
  if (trend.first !== null && trend.last !== null)
    out.push({
      target: "per-cycle incremental margin grows (last third vs first third)",
      value: trend.last - trend.first,
      met: trend.last > trend.first,
    });
  return out;
}
