import type { NewAuditEntry } from "../../../guardrails/audit-entries.js";
import { hasCycleEntry } from "../../../store/audit-repo.js";
import { setCycleStatus } from "../../../store/cycles-repo.js";
import { outcomeRecords } from "../../../store/experiments-repo.js";
import { saveScores } from "../../../store/segments-repo.js";
import { trainUplift } from "../../../tools/uplift.js";
import { toolCallEntry } from "../audit-helpers.js";
import { learnSegmentFatigue } from "../learn-fatigue.js";
import type { CycleDeps } from "../deps.js";
import { upliftRunIdOf } from "../ids.js";
import type { CycleState } from "../state.js";
import type { LearnedUplift } from "./plan.js";

/**
 * Learn: the cycle's randomized outcomes (features at planning time, arm, conversion) train an
 * uplift model per strategy, which the next cycle's plan uses instead of the prior.
 */
export async function learnNode(state: CycleState, deps: CycleDeps): Promise<Partial<CycleState>> {
  if (state.learn) return {};
  const { cycleId, settings } = state;
  const records = (await outcomeRecords(deps.db, cycleId, state.activation!.experimentId)).filter(
    (r) => r.arm !== "global_control" && r.features,
  );
  const models: { strategy: string; runId: string; treated: number; holdout: number }[] = [];
  const skipped: string[] = [];
  const entries: NewAuditEntry[] = [];
  const byStrategy = new Map<string, typeof records>();
  for (const r of records) byStrategy.set(r.strategy, [...(byStrategy.get(r.strategy) ?? []), r]);
  for (const [strategy, rs] of byStrategy) {
    const treated = rs.filter((r) => r.arm === "treatment").length;
    const holdout = rs.length - treated;
    if (treated < settings.minLearnArm || holdout < settings.minLearnArm) {
      skipped.push(`${strategy}: ${treated} treated and ${holdout} held out, fewer than ${settings.minLearnArm} per arm`);
      continue;
    }
    const model = trainUplift({
      rows: rs.map((r) => ({ features: r.features!.map(Number), treated: r.arm === "treatment", outcome: r.converted ? 1 : 0 })),
      method: "t-learner",
      seed: 1,
      l2: 10,
    });
    const plan = state.plan!.segments.filter((s) => s.strategy === strategy && s.channel).sort((a, b) => b.contacts - a.contacts)[0];
    const runId = upliftRunIdOf(cycleId, strategy);
    const params: LearnedUplift = { model, channel: plan?.channel ?? "email", offerDepth: plan?.offerDepth ?? 0, treated, holdout };
    await saveScores(
      deps.db,
      {
        runId,
        model: `uplift:${strategy}`,
        version: "t-learner/1",
        asOf: new Date(state.activation!.measureAt),
        params,
        metrics: { treated, holdout },
      },
      { customerIds: [], values: [] },
    );
    entries.push(
      toolCallEntry(
        deps.actor,
        cycleId,
        "uplift",
        { strategy, treated, holdout, method: "t-learner" },
        { runId },
        `trained the ${strategy} uplift model on this cycle's holdout (${treated} treated, ${holdout} held out)`,
      ),
    );
    models.push({ strategy, runId, treated, holdout });
  }
  await learnSegmentFatigue(deps, cycleId);
  await setCycleStatus(deps.db, cycleId, "done", { summary: { learned: models.map((m) => m.strategy), skipped } });
  // Audited once, in one append: a re-run of this node (its process died before the checkpoint) logs nothing twice.
  if (!(await hasCycleEntry(deps.db, cycleId, "cycle", { event: "finished" }))) {
    await deps.audit.appendMany([
      ...entries,
      {
        kind: "cycle",
        actor: deps.actor,
        cycleId,
        entry: { event: "finished", status: "done", summary: { learned: models.map((m) => m.strategy), skipped } },
      },
    ]);
  }
  return { status: "done", learn: { models, skipped } };
}
