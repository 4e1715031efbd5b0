import type { Db } from "../../store/db.js";
import { listCycles } from "../../store/cycles-repo.js";
import { messageCounts } from "../../store/messages-repo.js";
import { targetSummary } from "../../store/targets-repo.js";
import {
  clvDeciles,
  fatigueDistribution,
  latestActivityAt,
  measuredStrategies,
  messagesPerChannelPerDay,
  modelRuns,
  qiniSample,
  segmentMigrations,
  segmentRunHistory,
  segmentRunInfo,
  segmentsOfRun,
  unsubscribesPerDay,
} from "../../store/dashboard-repo.js";
import { qiniCoefficient, qiniCurve, type QiniPoint } from "../../tools/uplift-metrics.js";
import type { GroupLift } from "../../tools/lift.js";
import type { CycleService } from "../../workflows/cycle/service.js";
import type { CycleState } from "../../workflows/cycle/state.js";

/**
 * What the API returns and the dashboard draws, built from store/ aggregates (bounded rows) and
 * the cycle service's state. Shared so a page shows exactly the numbers its route serves.
 */

export const FATIGUE_BUCKETS = 10;

export async function segmentsView(db: Db, runId?: string) {
  const run = await segmentRunInfo(db, runId);
  if (!run) return null;
  const segments = await segmentsOfRun(db, run.runId);
  const previous = run.previousRunId ? await segmentsOfRun(db, run.previousRunId) : [];
  const migrations = run.previousRunId ? await segmentMigrations(db, run.previousRunId, run.runId) : [];
  return { run, segments, previous: previous.map((s) => ({ segmentId: s.segmentId, name: s.name, size: s.size })), migrations };
}

export async function cycleView(db: Db, service: CycleService, cycleId: string) {
  const { state, waiting } = await service.get(cycleId);
  return { state, waiting, targets: await targetSummary(db, cycleId), messages: await messageCounts(db, cycleId) };
}

/** The latest cycles' states, newest first (checkpoint reads; the list is bounded). */
export async function recentCycleStates(db: Db, service: CycleService, limit = 12) {
  const rows = await listCycles(db, limit);
  const out: { row: (typeof rows)[number]; state: CycleState | null; waiting: Awaited<ReturnType<CycleService["get"]>>["waiting"] }[] = [];
  for (const row of rows) {
    const found = await service.get(row.cycleId).catch(() => null);
    out.push({ row, state: found?.state ?? null, waiting: found?.waiting ?? null });
  }
  return out;
}

export async function resultsView(db: Db, service: CycleService) {
  const cycles = await recentCycleStates(db, service);
  const measured = cycles.filter((c) => c.state?.measurement);
  const latest = measured[0]?.state ?? null;
  const groups = (latest?.measurement?.groups ?? []) as unknown as GroupLift[];
  const overCycles = measured
    .map((c) => {
      const all = (c.state!.measurement!.groups as unknown as GroupLift[]).find((g) => g.group === "all campaigns");
      return {
        cycleId: c.row.cycleId,
        asOf: c.row.asOf.toISOString(),
        treated: all?.treatedCount ?? 0,
        incrementalRevenue: all ? all.revenuePerCustomer.difference * all.treatedCount : null,
        incrementalMargin: all ? all.marginPerCustomer.difference * all.treatedCount : null,
      };
    })
    .reverse();
  return {
    cycleId: latest?.cycleId ?? null,
    headline: latest?.measurement?.headline ?? null,
    activation: latest?.activation ?? null,
    groups,
    overCycles,
  };
}

const DAY_MS = 86_400_000;

/** The window metrics cover when none is asked for: the `days` up to the day after the last message activity (or now). */
export async function defaultMetricsWindow(db: Db, days = 90): Promise<{ from: Date; to: Date }> {
  const latest = await latestActivityAt(db);
  const to = latest ? new Date(Math.ceil(latest.getTime() / DAY_MS) * DAY_MS + DAY_MS) : new Date();
  return { from: new Date(to.getTime() - days * DAY_MS), to };
}

export async function metricsView(db: Db, from: Date, to: Date) {
  const [messages, unsubscribes] = [await messagesPerChannelPerDay(db, from, to), await unsubscribesPerDay(db, from, to)];
  const fatigueRun = (await modelRuns(db, "fatigue", 1))[0];
  const segRun = await segmentRunInfo(db);
  const fatigue =
    fatigueRun && segRun
      ? {
          runId: fatigueRun.runId,
          segmentRunId: segRun.runId,
          buckets: FATIGUE_BUCKETS,
          segments: (await segmentsOfRun(db, segRun.runId)).map((s) => ({ segmentId: s.segmentId, name: s.name })),
          cells: await fatigueDistribution(db, fatigueRun.runId, segRun.runId, FATIGUE_BUCKETS),
        }
      : null;
  return { from: from.toISOString(), to: to.toISOString(), messages, unsubscribes, fatigue };
}

/** At most `max` points of a curve, always keeping its ends. */
function thin(points: readonly QiniPoint[], max = 101): QiniPoint[] {
  if (points.length <= max) return [...points];
  const step = (points.length - 1) / (max - 1);
  return Array.from({ length: max }, (_, i) => points[Math.round(i * step)]!);
}

export async function modelsView(db: Db, service: CycleService) {
  const uplift = await modelRuns(db, "uplift:");
  const cycles = (await recentCycleStates(db, service, 5)).filter((c) => c.state?.measurement);
  const qini = [];
  for (const c of cycles) {
    for (const strategy of await measuredStrategies(db, c.row.cycleId)) {
      const rows = await qiniSample(db, c.row.cycleId, strategy);
      if (rows.length < 2) continue;
      const scores = rows.map((r) => r.score);
      const treated = rows.map((r) => r.treated);
      const outcomes = rows.map((r) => (r.converted ? 1 : 0));
      const summary = qiniCoefficient(scores, treated, outcomes);
      const upliftSource = c.state!.plan?.segments.find((s) => s.strategy === strategy)?.upliftSource ?? null;
      qini.push({
        cycleId: c.row.cycleId,
        strategy,
        upliftSource,
        customers: rows.length,
        ...summary,
        curve: thin(qiniCurve(scores, treated, outcomes)),
      });
    }
  }
  const clvRun = (await modelRuns(db, "clv", 1))[0];
  const clv = clvRun ? { runId: clvRun.runId, asOf: clvRun.asOf.toISOString(), ...(await clvDeciles(db, clvRun.runId)) } : null;
  return { uplift, qini, clv, segmentQuality: await segmentRunHistory(db) };
}
