import { explainSegments } from "../../../agents/segmentation-analyst/index.js";
import { latestSegmentRun, saveScores, saveSegmentRun } from "../../../store/segments-repo.js";
import { startClvThread } from "../../../tools/clv-thread.js";
import { auditAgentDecision } from "../audit-helpers.js";
import { assembleCycleData, churnOf, clvInputOf, loadCycleInputs, type CycleData, type CycleInputs } from "../cycle-data.js";
import { cycleLlm, type CycleDeps } from "../deps.js";
import { scoreRunId, segmentRunId } from "../ids.js";
import type { CycleState } from "../state.js";
import {
  fatigueScoreRows,
  phaseClock,
  previousSegmentation,
  refreshSummary,
  refreshToolCalls,
  segmentAssignmentBatches,
  segmentCustomers,
  segmentRunRecords,
} from "../steps/refresh-steps.js";

/**
 * The cycle's data for refresh: from this process's memo, else read now. Reading it, the CLV model
 * is fitted on its own thread while this one trains churn, segments and stores the segment run;
 * `complete()` waits for it.
 */
async function loadRefreshData(
  deps: CycleDeps,
  state: CycleState,
): Promise<{ inputs: Pick<CycleInputs, "features" | "fatigue" | "customerIds">; complete(): Promise<CycleData> }> {
  const memo = deps.memo.data(state.cycleId);
  if (memo) return { inputs: memo, complete: async () => memo };
  const clvThread = startClvThread();
  try {
    const inputs = await loadCycleInputs(deps.db, new Date(state.asOf));
    if (inputs.customerIds.length === 0) throw new Error(`no customers signed up before ${state.asOf}: load data first (pulse ingest)`);
    const clvPending = clvThread.compute(clvInputOf(inputs));
    clvPending.catch(() => {});
    const churn = churnOf(inputs);
    return {
      inputs,
      complete: async () => {
        const data = assembleCycleData(inputs, await clvPending, churn, { attributionDays: state.settings.attributionDays });
        deps.memo.keep(state.cycleId, data);
        return data;
      },
    };
  } catch (err) {
    await clvThread.close();
    throw err;
  }
}

/** Refresh: load → segment (pure) → save the segment run and scores → audit → the state's summary. */
export async function refreshNode(state: CycleState, deps: CycleDeps): Promise<Partial<CycleState>> {
  const started = Date.now();
  const phases = phaseClock();
  const { cycleId, settings } = state;
  const asOf = new Date(state.asOf);
  const llm = cycleLlm(deps, state);

  const loaded = await loadRefreshData(deps, state);
  const { features } = loaded.inputs;
  const n = features.customer_ids.length;
  if (n === 0) throw new Error(`no customers signed up before ${state.asOf}: load data first (pulse ingest)`);
  const runId = segmentRunId(cycleId);
  const previous = await latestSegmentRun(deps.db, asOf, runId);
  phases.mark("load");

  const seg = segmentCustomers(features, settings, previousSegmentation(previous, settings.segmentFeatures));
  phases.mark("segment");

  const records = segmentRunRecords(runId, asOf, seg, settings);
  await saveSegmentRun(deps.db, records.run, records.segments, {
    customerIds: features.customer_ids,
    segmentIds: seg.segmentIds,
    outliers: seg.outliers,
  });
  await saveScores(
    deps.db,
    { runId: scoreRunId(cycleId, "fatigue"), model: "fatigue", version: "fatigue/1", asOf },
    { customerIds: features.customer_ids, ...fatigueScoreRows(loaded.inputs.fatigue) },
  );
  phases.mark("save_segments");

  const data = await loaded.complete();
  phases.mark("models");

  await deps.audit.appendMany(refreshToolCalls(deps.actor, cycleId, state.asOf, data, seg, settings, previous?.runId ?? null));
  await saveScores(
    deps.db,
    { runId: scoreRunId(cycleId, "clv"), model: "clv", version: "bgnbd-gg/1", asOf },
    {
      customerIds: data.customerIds,
      values: data.clv.clv,
      details: Array.from(data.clv.pAlive, (pAlive, i) => ({ pAlive, expectedPurchases52w: data.clv.expectedPurchases[i] })),
    },
  );
  await saveScores(
    deps.db,
    { runId: scoreRunId(cycleId, "churn"), model: "churn", version: "logit-90d/1", asOf, metrics: { auc: data.churnAuc } },
    { customerIds: data.customerIds, values: data.churn },
  );
  phases.mark("save_scores");

  const explained = await explainSegments(
    seg.summary.segments.map((s) => ({
      segmentId: s.id,
      name: s.name,
      size: s.size,
      share: s.share,
      valueShare: s.valueShare,
      topFeatures: s.topFeatures,
    })),
    { llm: llm.client },
  );
  await auditAgentDecision(
    deps,
    cycleId,
    "segmentation-analyst",
    `descriptions of ${seg.summary.segments.length} segments`,
    explained.provenance,
  );
  for (const batch of segmentAssignmentBatches(deps.actor, cycleId, runId, data, seg)) await deps.audit.appendMany(batch, { asSets: true });
  phases.mark("audit");

  return {
    status: "refreshed",
    agents: { ...state.agents, "segmentation-analyst": explained.provenance },
    refresh: refreshSummary(
      runId,
      n,
      seg,
      new Map(explained.segments.map((s) => [s.segmentId, s.description])),
      data.churnAuc,
      (Date.now() - started) / 1000,
      phases.seconds(),
    ),
    llm: llm.usage(),
  };
}
