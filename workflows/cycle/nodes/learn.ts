import type { NewAuditEntry } from "../../../guardrails/audit-entries.js";
import { hasCycleEntry } from "../../../store/audit-repo.js";
import { setCycleStatus } from "../../../store/cycles-repo.js";
import { saveCycleReadouts, type ReadoutRow } from "../../../store/evidence-repo.js";
import { toolCallEntry } from "../audit-helpers.js";
import { evidenceRunIdOf } from "../ids.js";
import { learnSegmentFatigue } from "../learn-fatigue.js";
import type { CycleDeps } from "../deps.js";
import type { CycleState } from "../state.js";

export interface StrategyEvidence {
  strategy: string;
  runId: string;
  treated: number;
  holdout: number;
  treatedConversions: number;
  holdoutConversions: number;
  readouts: number;
}

/** Pure: a cycle's readouts summed per strategy, and the strategies too thin to say much on their own yet. */
export function evidenceByStrategy(
  cycleId: string,
  readouts: readonly ReadoutRow[],
  minArm: number,
): { models: StrategyEvidence[]; skipped: string[] } {
  const by = new Map<string, StrategyEvidence>();
  for (const r of readouts) {
    const e = by.get(r.strategy) ?? {
      strategy: r.strategy,
      runId: evidenceRunIdOf(cycleId, r.strategy),
      treated: 0,
      holdout: 0,
      treatedConversions: 0,
      holdoutConversions: 0,
      readouts: 0,
    };
    e.treated += r.treated;
    e.holdout += r.holdout;
    e.treatedConversions += r.treatedConversions;
    e.holdoutConversions += r.holdoutConversions;
    e.readouts++;
    by.set(r.strategy, e);
  }
  const models = [...by.values()].sort((a, b) => a.strategy.localeCompare(b.strategy));
  const skipped = models
    .filter((m) => m.treated < minArm || m.holdout < minArm)
    .map(
      (m) =>
        `${m.strategy}: ${m.treated} treated and ${m.holdout} held out, fewer than ${minArm} per arm (kept as evidence, weighed by its size)`,
    );
  return { models, skipped };
}

const rate = (c: number, n: number) => (n ? `${((100 * c) / n).toFixed(1)}%` : "n/a");

/**
 * Learn: the cycle's randomized outcomes become readouts per segment × strategy × channel × offer
 * depth (treated and held-out conversions, and what the prior predicted for those customers),
 * which every later plan accumulates with the earlier ones, decaying old evidence.
 */
export async function learnNode(state: CycleState, deps: CycleDeps): Promise<Partial<CycleState>> {
  if (state.learn) return {};
  const { cycleId, settings } = state;
  const readouts = await saveCycleReadouts(deps.db, cycleId, state.activation!.experimentId, new Date(state.activation!.measureAt));
  const { models, skipped } = evidenceByStrategy(cycleId, readouts, settings.minLearnArm);
  const entries: NewAuditEntry[] = models.map((m) =>
    toolCallEntry(
      deps.actor,
      cycleId,
      "uplift_evidence",
      { strategy: m.strategy, readouts: readouts.filter((r) => r.strategy === m.strategy) },
      { runId: m.runId },
      `recorded ${m.readouts} ${m.strategy} readout(s) for later plans: ${m.treated} treated converting ${rate(m.treatedConversions, m.treated)}, ${m.holdout} held out ${rate(m.holdoutConversions, m.holdout)}`,
    ),
  );
  const learned = models.map((m) => m.strategy);
  await learnSegmentFatigue(deps, cycleId);
  await setCycleStatus(deps.db, cycleId, "done", { summary: { learned, skipped } });
  // Audited once, in one append: a re-run of this node (its process died before the checkpoint) logs nothing twice.
  if (!(await hasCycleEntry(deps.db, cycleId, "cycle", { event: "finished" }))) {
    await deps.audit.appendMany([
      ...entries,
      { kind: "cycle", actor: deps.actor, cycleId, entry: { event: "finished", status: "done", summary: { learned, skipped } } },
    ]);
  }
  return {
    status: "done",
    learn: { models: models.map((m) => ({ strategy: m.strategy, runId: m.runId, treated: m.treated, holdout: m.holdout })), skipped },
  };
}
