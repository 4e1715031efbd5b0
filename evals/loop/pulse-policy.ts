import type { SimulatorConnector } from "../../connectors/simulator.js";
import type { ManualClock } from "../../core/clock.js";
import type { Config } from "../../core/config.js";
import type { Db } from "../../store/db.js";
import type { CycleState } from "../../workflows/cycle/state.js";
import type { SegmentChanges } from "./metrics.js";
import { DEMO_SETTINGS, setDemoPolicy } from "../../workflows/demo.js";
import { createCycleRuntime, type CycleRuntime } from "../../workflows/runtime.js";
import type { CycleSettingsInput } from "../../workflows/cycle/settings.js";

const HOUR_MS = 3_600_000;
/** Hours after a cycle starts in which its sends go out (each at the customer's local send hour). */
export const SEND_SPAN_HOURS = 48;

/** The loop's settings for Pulse: the demo's approval-by-policy, and an attribution window of one cadence. */
export function loopSettings(cadenceDays: number): CycleSettingsInput {
  return {
    ...DEMO_SETTINGS,
    approvalPolicy: { ...DEMO_SETTINGS.approvalPolicy, version: "eval-loop-policy/1" },
    attributionDays: cadenceDays,
  };
}

/** What one of Pulse's cycles decided, for the loop's report. */
export interface PulseCycleDigest {
  cycleId: string;
  status: string;
  considered: number;
  planned: number;
  treated: number;
  holdout: number;
  globalControl: number;
  skipped: Record<string, number>;
  /** Per segment: what the plan chose and where its uplift came from (prior or a learned model). */
  segments: {
    name: string;
    size: number;
    strategy: string;
    channel: string | null;
    offerDepth: number;
    contacts: number;
    upliftSource: string;
  }[];
  /** Models the previous cycle's learn step trained (used by this cycle's plan). */
  learnedBefore: string[];
  /** The refresh's segment births, deaths and migrations against the last run (null when the refresh did not run). */
  segmentChanges: SegmentChanges | null;
}

/** The refresh's identity report as the loop's per-cycle segment changes. */
export function segmentChangesOf(refresh: CycleState["refresh"]): SegmentChanges | null {
  if (!refresh) return null;
  const m = refresh.identity.migrations;
  return {
    segments: refresh.segments.length,
    births: refresh.identity.births,
    deaths: refresh.identity.deaths,
    migrated: m ? m.moved : null,
    flows: m ? m.flows : [],
    stability: refresh.identity.stability,
  };
}

export interface PulseCycles {
  /**
   * The scheduler's tick at `asOf`: closes the previous cycle's window (measure, learn), settles
   * approvals, starts cycle `k`. `note` says when the cycle did not reach activation.
   */
  runCycle(k: number, asOf: Date): Promise<{ cycleId: string | null; note?: string; digest: PulseCycleDigest }>;
  /** Runs the send jobs hour by hour over the send span, so each message leaves at its own planned hour. */
  sendSpan(from: Date): Promise<void>;
  /** Closes the last cycle's window at `at`. */
  closeLast(at: Date): Promise<void>;
  close(): Promise<void>;
}

/** The cycle's own wiring, as the demo builds it: one runtime, jobs in this process on the simulated clock. */
async function cycleMachinery(db: Db, config: Config, clock: ManualClock, connector: SimulatorConnector) {
  const runtime: CycleRuntime = await createCycleRuntime(config, {
    db,
    runner: "in-process",
    inProcess: { sleep: async () => {} },
    clock,
    connector,
    actor: "pulse",
  });
  // The demo's guardrail policy (approval tiers set by its admin), so plans go out on the policy's authority.
  await setDemoPolicy(db, clock);
  return { service: runtime.service, runtime, inner: runtime.inProcess! };
}

/** Pulse as a policy of the loop: autonomous cycles on the simulated clock, learning between them. */
export async function openPulseCycles(options: {
  db: Db;
  config: Config;
  clock: ManualClock;
  connector: SimulatorConnector;
  cadenceDays: number;
  seed: number;
}): Promise<PulseCycles> {
  const { clock } = options;
  const { service, runtime, inner } = await cycleMachinery(options.db, options.config, clock, options.connector);
  const settings = loopSettings(options.cadenceDays);
  let previous: string | null = null;

  let learned: string[] = [];
  async function closePrevious(at: Date): Promise<string | undefined> {
    clock.set(at);
    await inner.drain();
    if (!previous) return undefined;
    let { state } = await service.get(previous);
    // The delayed measurement job normally did this; a cycle still waiting is closed here.
    if (!state.measurement && state.status !== "rejected" && state.status !== "failed") ({ state } = await service.closeWindow(previous));
    learned = state.learn?.models.map((m) => `${m.strategy} (${m.treated}/${m.holdout})`) ?? [];
    return state.status === "done" ? undefined : `previous cycle ${previous} ended ${state.status}`;
  }

  return {
    async runCycle(k, asOf) {
      const notes: string[] = [];
      const prev = await closePrevious(asOf);
      if (prev) notes.push(prev);
      await service.settleApprovals();
      const cycleId = `c-${asOf.toISOString().slice(0, 10).replaceAll("-", "")}-loop${options.seed}k${k}`;
      const started = await service.start({ requestedBy: "scheduler", asOf, settings, cycleId });
      previous = cycleId;
      if (started.waiting?.kind !== "attribution_window")
        notes.push(`cycle ${cycleId} stopped at ${started.state.status}${started.waiting ? ` waiting for ${started.waiting.kind}` : ""}`);
      const st = started.state;
      const sizes = new Map(st.refresh?.segments.map((x) => [x.segmentId, x.size]) ?? []);
      const digest: PulseCycleDigest = {
        cycleId,
        status: st.status,
        considered: st.plan?.considered ?? 0,
        planned: st.plan?.contacts ?? 0,
        treated: st.activation?.treated ?? 0,
        holdout: st.activation?.holdout ?? 0,
        globalControl: st.activation?.globalControl ?? 0,
        skipped: st.plan?.skipped ?? {},
        segments:
          st.plan?.segments.map((x) => ({
            name: x.name,
            size: sizes.get(x.segmentId) ?? 0,
            strategy: x.strategy,
            channel: x.channel,
            offerDepth: x.offerDepth,
            contacts: x.contacts,
            upliftSource: x.upliftSource,
          })) ?? [],
        learnedBefore: learned,
        segmentChanges: segmentChangesOf(st.refresh),
      };
      return { cycleId, digest, ...(notes.length ? { note: notes.join("; ") } : {}) };
    },
    async sendSpan(from) {
      for (let h = 0; h <= SEND_SPAN_HOURS; h++) {
        clock.set(from.getTime() + h * HOUR_MS);
        await inner.drain();
      }
      const failed = inner.failed();
      if (failed.length) throw new Error(`Pulse's jobs failed: ${failed.map((f) => `${f.queue}: ${f.error}`).join("; ")}`);
    },
    async closeLast(at) {
      await closePrevious(at);
    },
    async close() {
      await runtime.close();
    },
  };
}
