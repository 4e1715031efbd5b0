import { NotFoundError } from "../../../core/errors.js";
import { listCycles, type CycleRow, type CycleRowStatus } from "../../../store/cycles-repo.js";
import { messageCounts } from "../../../store/messages-repo.js";
import { cycleSettingsSchema } from "../../../workflows/cycle/settings.js";
import type { CycleWait } from "../../../workflows/cycle/service.js";
import type { CycleState } from "../../../workflows/cycle/state.js";
import { BriefError, briefToSettings } from "../brief-settings.js";
import { briefWindowError } from "../../../workflows/cycle/brief.js";
import {
  cycleParamsSchema as cycleParam,
  decideParamsSchema as decideParams,
  planCampaignParamsSchema,
  resultsParamsSchema as resultsParams,
  segmentParamsSchema as segmentParams,
  startCycleParamsSchema as startParams,
} from "../params.js";
import { pendingPlanOf } from "../pending-plan.js";
import { renderPlan, renderResults, renderSegments } from "../render.js";
import { done, refused, type ActionContext, type ChatAction } from "./context.js";

/** The most recent cycle whose status is one of `statuses` (any status when none are given). */
async function latestCycle(ctx: ActionContext, statuses?: readonly CycleRowStatus[]): Promise<CycleRow | undefined> {
  const rows = await listCycles(ctx.deps.db, 50);
  return rows.find((r) => !statuses || statuses.includes(r.status));
}

/**
 * The cycle a request is about: the one it names, else this conversation's when it fits, else the
 * most recent one in a fitting status.
 */
async function targetCycle(ctx: ActionContext, statuses?: readonly CycleRowStatus[]): Promise<string | undefined> {
  const named = cycleParam.parse(ctx.params).cycle;
  if (named) return named;
  if (ctx.threadCycleId) {
    const row = (await listCycles(ctx.deps.db, 50)).find((r) => r.cycleId === ctx.threadCycleId);
    if (row && (!statuses || statuses.includes(row.status))) return row.cycleId;
  }
  return (await latestCycle(ctx, statuses))?.cycleId;
}

async function getCycle(ctx: ActionContext, cycleId: string): Promise<{ state: CycleState; waiting: CycleWait }> {
  const { service } = await ctx.cycles();
  try {
    return await service.get(cycleId);
  } catch (err) {
    if (err instanceof NotFoundError) throw new NotFoundError(`cycle ${cycleId}`);
    throw err;
  }
}

/** After a start or a decision: run what is due here, then answer from the cycle's state. */
async function afterRun(ctx: ActionContext, cycleId: string, lead: string) {
  const cycles = await ctx.cycles();
  await cycles.drain();
  const { state, waiting } = await cycles.service.get(cycleId);
  const pendingPlan = pendingPlanOf(state, waiting);
  const text = [lead, renderPlan(state, waiting)];
  if (state.activation) text.push(renderResults(state, waiting, await messageCounts(ctx.deps.db, cycleId)));
  return done(
    text.join("\n"),
    { data: { cycleId, status: state.status, plan: state.plan, waiting }, ...(pendingPlan ? { pendingPlan } : {}) },
    cycleId,
  );
}

export const segmentsOverview: ChatAction = async (ctx) => {
  for (const row of await listCycles(ctx.deps.db, 50)) {
    const { state } = await getCycle(ctx, row.cycleId).catch(() => ({ state: undefined }));
    if (state?.refresh) return done(renderSegments(state), { data: { cycleId: state.cycleId, segments: state.refresh.segments } });
  }
  return done('There are no segments yet: ask me to start a cycle ("refresh now").');
};

export const startCycle: ChatAction = async (ctx) => {
  const { as_of } = startParams.parse(ctx.params);
  const asOf = as_of ? new Date(`${as_of}T23:59:59Z`) : undefined;
  const { service } = await ctx.cycles();
  const started = await service.start({
    requestedBy: ctx.input.actorId,
    ...(asOf ? { asOf } : {}),
    ...(ctx.deps.baseSettings ? { settings: ctx.deps.baseSettings } : {}),
  });
  return afterRun(ctx, started.cycleId, `Started cycle ${started.cycleId}.`);
};

export const planCampaign: ChatAction = async (ctx) => {
  const parsed = planCampaignParamsSchema.safeParse(ctx.params);
  if (!parsed.success)
    return refused(`I could not use that brief: ${parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`);
  let settings;
  try {
    settings = briefToSettings(parsed.data, ctx.deps.baseSettings ?? cycleSettingsSchema.parse({}));
  } catch (err) {
    if (err instanceof BriefError) return refused(err.message);
    throw err;
  }
  const windowError = briefWindowError(settings.brief, ctx.now);
  if (windowError) return refused(`I did not plan that: ${windowError}.`);
  const { service } = await ctx.cycles();
  const started = await service.start({ requestedBy: ctx.input.actorId, settings });
  const b = parsed.data;
  const asked = [
    b.strategy && `strategy ${b.strategy}`,
    b.audience && `audience ${JSON.stringify(b.audience)}`,
    b.category && `category ${b.category}`,
    b.max_discount !== undefined && `at most ${Math.round(b.max_discount * 100)}% off`,
    b.channels && `by ${b.channels.join(", ")}`,
    b.window && `window ${b.window.start ?? "now"} to ${b.window.end ?? "open"}`,
    b.budget !== undefined && `budget ${b.budget}`,
  ].filter(Boolean);
  return afterRun(ctx, started.cycleId, `Planned cycle ${started.cycleId} from your brief${asked.length ? ` (${asked.join("; ")})` : ""}.`);
};

export const showPlan: ChatAction = async (ctx) => {
  const cycleId =
    cycleParam.parse(ctx.params).cycle ??
    ctx.threadCycleId ??
    (await latestCycle(ctx, ["awaiting_approval"]))?.cycleId ??
    (await latestCycle(ctx))?.cycleId;
  if (!cycleId)
    return done('There is no plan yet: describe a campaign ("win back lapsed grocery shoppers at most 15% off") or say "start a cycle".');
  const { state, waiting } = await getCycle(ctx, cycleId);
  const pendingPlan = pendingPlanOf(state, waiting);
  return done(
    renderPlan(state, waiting),
    { data: { cycleId, plan: state.plan, waiting }, ...(pendingPlan ? { pendingPlan } : {}) },
    cycleId,
  );
};

function decide(decision: "approved" | "rejected"): ChatAction {
  return async (ctx) => {
    const { reason } = decideParams.parse(ctx.params);
    const cycleId = await targetCycle(ctx, ["awaiting_approval"]);
    if (!cycleId) return refused("No plan is waiting for approval.");
    const { state, waiting } = await getCycle(ctx, cycleId);
    if (waiting?.kind !== "approval") return refused(`Cycle ${cycleId} is not waiting for approval (status ${state.status}).`, cycleId);
    if (state.requestedBy === ctx.input.actorId)
      return refused(`You requested cycle ${cycleId}, so someone else must ${decision === "approved" ? "approve" : "reject"} it.`, cycleId);
    if (decision === "rejected" && !reason?.trim()) return refused(`A rejection needs a reason: "reject ${cycleId} because ...".`, cycleId);
    const { service } = await ctx.cycles();
    await service.decide(cycleId, { decision, by: ctx.input.actorId, ...(reason ? { reason } : {}) });
    return afterRun(ctx, cycleId, `${decision === "approved" ? "Approved" : "Rejected"} cycle ${cycleId}.`);
  };
}
export const approve = decide("approved");
export const reject = decide("rejected");

export const explainSegment: ChatAction = async (ctx) => {
  const { segment } = segmentParams.parse(ctx.params);
  if (!segment) return refused("Which segment? Name it like seg-3.");
  const cycleId = ctx.threadCycleId ?? (await latestCycle(ctx))?.cycleId;
  if (!cycleId) return done("There are no segments yet: ask me to start a cycle.");
  const { state } = await getCycle(ctx, cycleId);
  const s = state.refresh?.segments.find((x) => x.segmentId === segment);
  if (!s)
    return refused(
      `Cycle ${cycleId} has no segment ${segment} (it has ${state.refresh?.segments.map((x) => x.segmentId).join(", ") || "none"}).`,
      cycleId,
    );
  const p = state.plan?.segments.find((x) => x.segmentId === segment);
  const lines = [
    `${s.segmentId} ${s.name}: ${s.size.toLocaleString("en")} customers (${Math.round(s.share * 100)}% of the base). ${s.description}`,
    `Distinguishing traits (z-scores): ${s.traits.join(", ") || "none"}.`,
  ];
  if (p)
    lines.push(
      `Plan in cycle ${cycleId}: ${p.strategy}${p.channel ? ` by ${p.channel} at ${Math.round(p.offerDepth * 100)}% off, ${p.contacts} contacts` : ", no contact"}. Why: ${p.reasons.join("; ")}.`,
    );
  return done(lines.join("\n"), { data: { cycleId, segment: s, plan: p } }, cycleId);
};

export const cycleResults: ChatAction = async (ctx) => {
  const { period } = resultsParams.parse(ctx.params);
  const cycles = await ctx.cycles();
  // Sends (at customers' local hour) and measurements that have come due run here when no worker does.
  await cycles.drain();
  if (period) {
    const from = period.start ? new Date(`${period.start}T00:00:00Z`) : new Date(0);
    const to = period.end ? new Date(`${period.end}T23:59:59.999Z`) : ctx.now;
    const rows = (await listCycles(ctx.deps.db, 200)).filter((r) => r.asOf >= from && r.asOf <= to);
    if (rows.length === 0) return done(`No cycle ran between ${period.start ?? "the start"} and ${period.end ?? "now"}.`);
    const parts: string[] = [];
    for (const r of rows) {
      const { state, waiting } = await cycles.service.get(r.cycleId);
      parts.push(renderResults(state, waiting, await messageCounts(ctx.deps.db, r.cycleId)));
    }
    return done(parts.join("\n"), { data: { cycles: rows.map((r) => r.cycleId) } });
  }
  const cycleId = await targetCycle(ctx, ["activated", "measured", "done"]);
  if (!cycleId) return done("No cycle has sent anything yet.");
  let { state, waiting } = await getCycle(ctx, cycleId);
  // The window has closed but nobody measured yet (no worker ran the measure job): measure now.
  if (waiting?.kind === "attribution_window" && new Date(waiting.windowEndsAt) <= ctx.now) {
    ({ state, waiting } = await cycles.service.closeWindow(cycleId));
    await cycles.drain();
  }
  const messages = await messageCounts(ctx.deps.db, cycleId);
  return done(
    renderResults(state, waiting, messages),
    { data: { cycleId, activation: state.activation, measurement: state.measurement, messages } },
    cycleId,
  );
};
