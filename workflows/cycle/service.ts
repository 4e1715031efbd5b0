import { Command } from "@langchain/langgraph";
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";
import { NotFoundError, PulseError } from "../../core/errors.js";
import { ApprovalAlreadyDecidedError, ApprovalExpiredError } from "../../guardrails/approval-errors.js";
import {
  approvalAnswerSchema,
  checkDecision,
  isExpiry,
  recordedAnswer as answerOf,
  type ApprovalAnswer,
  type ResumeAnswer,
} from "../../guardrails/approval-rules.js";
import { resolveCycleSettings } from "../../guardrails/guardrail-policy-store.js";
import { cyclesWithSettledApprovals } from "../../store/approvals-repo.js";
import { createCycle, cycleRowStatusOf, setCycleStatus } from "../../store/cycles-repo.js";
import type { CycleDeps } from "./deps.js";
import { compileCycleGraph, type CycleGraph } from "./graph.js";
import { newCycleId } from "./ids.js";
import type { CycleSettingsInput } from "./settings.js";
import type { CycleState } from "./state.js";

export class CycleStateError extends PulseError {
  constructor(message: string) {
    super("CYCLE_STATE", message);
  }
}

/** What a cycle is waiting for, if anything. */
export type CycleWait =
  { kind: "approval"; approvalId: string; expiresAt: string } | { kind: "attribution_window"; windowEndsAt: string } | null;

export interface CycleService {
  /**
   * Starts a cycle. Given the id of a cycle that exists already (a retried job), it starts nothing new:
   * the existing cycle is resumed (see resume).
   */
  start(options: {
    requestedBy: string;
    asOf?: Date;
    settings?: CycleSettingsInput;
    cycleId?: string;
  }): Promise<{ cycleId: string; state: CycleState; waiting: CycleWait }>;
  /**
   * Continues a cycle that stopped between steps (its process died, or a step failed) from its last
   * checkpoint. A cycle that waits for a decision or its window, or has finished, is returned as it is.
   */
  resume(cycleId: string): Promise<{ state: CycleState; waiting: CycleWait }>;
  /** A human decision on a cycle waiting for approval: recorded, audited, then the graph resumes. */
  decide(cycleId: string, answer: ApprovalAnswer): Promise<{ state: CycleState; waiting: CycleWait }>;
  /**
   * Carries out every approval outcome the graph has not acted on yet (a decision recorded by a
   * process that died, or a request that expired undecided); returns the cycles it moved on.
   */
  settleApprovals(): Promise<string[]>;
  /** The attribution window has closed: measure and learn. */
  closeWindow(cycleId: string): Promise<{ state: CycleState; waiting: CycleWait }>;
  get(cycleId: string): Promise<{ state: CycleState; waiting: CycleWait }>;
  close(): Promise<void>;
}

/**
 * Runs cycles on a LangGraph graph checkpointed in Pulse's own database (PostgreSQL or the
 * embedded PGlite, through the same pool), so a cycle waiting for approval or for its attribution
 * window survives a restart of every process and resumes where it stopped, keyed by cycle id.
 */
export async function createCycleService(deps: CycleDeps): Promise<CycleService> {
  const checkpointer = new PostgresSaver(deps.db.pool, undefined, { schema: deps.db.schema });
  await checkpointer.setup();
  const graph: CycleGraph = compileCycleGraph(deps, checkpointer);
  const config = (cycleId: string) => ({ configurable: { thread_id: cycleId }, recursionLimit: 50 });

  /** The cycle's last checkpoint: its state, what it waits for, and the steps due next; null if there is none. */
  async function inspect(cycleId: string) {
    const snap = await graph.getState(config(cycleId));
    if (!snap.values || Object.keys(snap.values).length === 0) return null;
    const pending = snap.tasks.flatMap((t) => t.interrupts).map((i) => i.value as Record<string, unknown>)[0];
    const waiting: CycleWait = !pending
      ? null
      : pending.kind === "approval"
        ? { kind: "approval", approvalId: String(pending.approvalId), expiresAt: String(pending.expiresAt) }
        : { kind: "attribution_window", windowEndsAt: String(pending.windowEndsAt) };
    return { state: snap.values as CycleState, waiting, next: [...snap.next] };
  }

  /**
   * The cycle as callers see it. A cycle whose step failed keeps its last checkpoint (resume starts
   * from it) while run() marks the row failed; it is shown as failed here too, so every view agrees.
   */
  async function snapshot(cycleId: string) {
    const found = await inspect(cycleId);
    if (!found) throw new NotFoundError(`cycle ${cycleId}`);
    const stopped = !found.waiting && found.next.length > 0 && (await cycleRowStatusOf(deps.db, cycleId)) === "failed";
    return { state: stopped ? { ...found.state, status: "failed" as const } : found.state, waiting: found.waiting };
  }

  async function run(cycleId: string, input: Parameters<CycleGraph["invoke"]>[0]) {
    try {
      await graph.invoke(input, config(cycleId));
    } catch (err) {
      await setCycleStatus(deps.db, cycleId, "failed", { summary: { error: (err as Error).message.slice(0, 500) } }).catch(() => {});
      await deps.audit
        .append({ kind: "cycle", actor: deps.actor, cycleId, entry: { event: "failed", error: (err as Error).message.slice(0, 2000) } })
        .catch(() => {});
      throw err;
    } finally {
      // The graph has stopped (waits, finished, rejected or failed): this process no longer needs the cycle's data.
      deps.memo.release(cycleId);
    }
    return snapshot(cycleId);
  }

  /**
   * The outcome already recorded for the approval a cycle waits on, as the graph takes it; null if
   * none. An expired request turns the plan down: nothing is sent, and the cycle ends.
   */
  async function recordedAnswer(approvalId: string): Promise<ResumeAnswer | null> {
    return answerOf(await deps.approvals.get(approvalId));
  }

  async function resume(cycleId: string) {
    const found = await inspect(cycleId);
    if (!found) throw new NotFoundError(`cycle ${cycleId}`);
    const { next, ...current } = found;
    if (current.waiting?.kind === "approval") {
      // Decided (or expired), but the graph has not moved on yet: carry it out.
      await deps.approvals.expireOverdue();
      const recorded = await recordedAnswer(current.waiting.approvalId);
      if (!recorded) return current;
      await deps.audit.append({
        kind: "cycle",
        actor: deps.actor,
        cycleId,
        entry: {
          event: "resumed",
          status: current.state.status,
          summary: { next, recorded: isExpiry(recorded) ? "expired" : recorded.decision },
        },
      });
      return run(cycleId, new Command({ resume: recorded }));
    }
    if (current.waiting || next.length === 0) return current;
    // Moving again: the column leaves "failed" for what the graph says (list and status agree).
    await setCycleStatus(deps.db, cycleId, current.state.status);
    await deps.audit.append({
      kind: "cycle",
      actor: deps.actor,
      cycleId,
      entry: { event: "resumed", status: current.state.status, summary: { next } },
    });
    return run(cycleId, null);
  }

  return {
    async start({ requestedBy, asOf, settings, cycleId }) {
      if (cycleId !== undefined && (await inspect(cycleId))) return { cycleId, ...(await resume(cycleId)) };
      const at = asOf ?? deps.clock.now();
      // Every entry point's brief meets the guardrail policy here: it may tighten it, never loosen it.
      const resolved = await resolveCycleSettings(deps, requestedBy, settings ?? {});
      const id = cycleId ?? newCycleId(deps.clock.now());
      await createCycle(deps.db, { cycleId: id, requestedBy, asOf: at });
      await deps.audit.append({
        kind: "cycle",
        actor: requestedBy,
        cycleId: id,
        entry: { event: "started", summary: { asOf: at.toISOString(), policyVersion: resolved.policyVersion } },
      });
      const result = await run(id, {
        cycleId: id,
        requestedBy,
        asOf: at.toISOString(),
        settings: resolved.settings,
      });
      return { cycleId: id, ...result };
    },
    async decide(cycleId, raw) {
      const answer = approvalAnswerSchema.parse(raw);
      const current = await snapshot(cycleId);
      if (current.waiting?.kind !== "approval")
        throw new CycleStateError(`cycle ${cycleId} is not waiting for approval (status ${current.state.status})`);
      // The rules are checked before anything is recorded, and again by the store when it records.
      const checked = checkDecision({ requestedBy: current.state.requestedBy, approvalId: current.waiting.approvalId }, answer);
      // The decision is the approver's act: recorded (and audited) before the graph moves on. The
      // approvals store decides whether it came in time, and records the expiry when it did not.
      let decidedAt: Date | null;
      try {
        ({ decidedAt } = await deps.approvals.decide(
          { approvalId: current.waiting.approvalId },
          { decision: checked.decision, by: checked.by, ...(checked.reason ? { reason: checked.reason } : {}) },
        ));
      } catch (err) {
        // Recorded by an earlier attempt that died before the graph moved on, or expired: that
        // outcome is carried out. A caller who asked for something else is still told why not.
        const recorded =
          err instanceof ApprovalAlreadyDecidedError || err instanceof ApprovalExpiredError
            ? await recordedAnswer(current.waiting.approvalId)
            : null;
        if (!recorded) throw err;
        const done = await run(cycleId, new Command({ resume: recorded }));
        if (recorded.decision !== checked.decision || recorded.by !== checked.by) throw err;
        return done;
      }
      // Checked against the time it was recorded, as a later resume would be.
      const recorded: ResumeAnswer = {
        decision: checked.decision,
        by: checked.by,
        ...(checked.reason ? { reason: checked.reason } : {}),
        ...(decidedAt ? { decidedAt: decidedAt.toISOString() } : {}),
      };
      return run(cycleId, new Command({ resume: recorded }));
    },
    async closeWindow(cycleId) {
      const current = await snapshot(cycleId);
      if (current.state.measurement) return current;
      if (current.waiting?.kind !== "attribution_window")
        throw new CycleStateError(`cycle ${cycleId} is not waiting for its attribution window (status ${current.state.status})`);
      return run(cycleId, new Command({ resume: { windowClosedAt: deps.clock.now().toISOString() } }));
    },
    resume,
    async settleApprovals() {
      // Overdue requests are listed by their expiry time; resume records the expiry itself.
      const settled: string[] = [];
      for (const cycleId of await cyclesWithSettledApprovals(deps.db, deps.clock.now())) {
        // One cycle that cannot move on (its failure is audited by run) does not hold up the others.
        const after = await resume(cycleId).catch(() => null);
        if (after && after.waiting?.kind !== "approval") settled.push(cycleId);
      }
      return settled;
    },
    get: snapshot,
    async close() {
      // The saver shares Pulse's pool, which its owner closes.
    },
  };
}
