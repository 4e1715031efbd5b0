import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { z } from "zod";
import { createSimulatorConnector, type SimulatorConnector } from "../../connectors/simulator.js";
import { ManualClock } from "../../core/clock.js";
import type { Config } from "../../core/config.js";
import { CHANNELS, type Channel } from "../../ingest/formats.js";
import { ingestFile } from "../../ingest/ingest-file.js";
import type { IngestKind } from "../../ingest/formats.js";
import { groundTruth, type GroundTruth } from "../../sim/ground-truth.js";
import { generateWorld, OFFER_DEPTHS, SENDING_STRATEGIES, World, writeStepFiles, type Strategy } from "../../sim/index.js";
import type { Db } from "../../store/db.js";
import { baselineAudience, messageTerms } from "../../store/loop-repo.js";
import { nextLocalHour } from "../../workflows/cycle/planning.js";
import { BASELINE_SEND_HOUR, blastDecisions, rfmRulesDecisions, type BaselineDecision } from "./baselines.js";
import {
  cycleFigures,
  retention,
  summarizeRuns,
  type CycleFigures,
  type PolicyResult,
  type PolicyRun,
  type SegmentChanges,
} from "./metrics.js";
import { openPulseCycles, type PulseCycleDigest, type PulseCycles } from "./pulse-policy.js";

export const LOOP_POLICIES = ["pulse", "blast", "rfm_rules", "none"] as const;
export type LoopPolicy = (typeof LOOP_POLICIES)[number];

const DAY_MS = 86_400_000;

/** One message a policy asks the world to deliver. */
export interface LoopMessage {
  messageId: string;
  campaignId: string;
  customerId: string;
  channel: Channel;
  strategy: Strategy;
  offerDepth: number;
  sentAt: Date;
  /** The product a cross-sell names (its fit with the customer's taste scales the effect). */
  productSku?: string;
}

export const loopOptionsSchema = z.object({
  customers: z.number().int().min(50).max(1_000_000),
  cycles: z.number().int().min(1).max(104),
  seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  /** Days between cycles (one cycle's sends and attribution window fit inside it). */
  cadenceDays: z.number().int().min(2).max(90).default(7),
  policies: z
    .array(z.enum(LOOP_POLICIES))
    .min(1)
    .default([...LOOP_POLICIES]),
  /** Customers per policy on which regret against the oracle is computed (0 turns it off). */
  regretSample: z.number().int().min(0).default(500),
});
export type LoopOptions = z.input<typeof loopOptionsSchema>;

export interface LoopDeps {
  config: Config;
  /** A fresh, empty, migrated database for one policy's retailer; closed (and removed) by `close`. */
  openDb(policy: LoopPolicy): Promise<{ db: Db; close(): Promise<void> }>;
  /** Called after each policy's cycle (done out of total) with a short label. */
  onProgress?: (done: number, total: number, label: string) => void;
}

export interface LoopReport {
  customers: number;
  cycles: number;
  seed: number;
  cadenceDays: number;
  start: string;
  end: string;
  policies: PolicyResult[];
  /** Every policy started from the same world (same digest). */
  paired: boolean;
  startDigests: Record<string, string>;
  seconds: number;
}

/** A digest of the latent state every policy starts from: same digest, same world. */
export function worldDigest(world: World, truth: GroundTruth): string {
  const h = createHash("sha256").update(world.now.toISOString());
  for (const id of world.customerIds()) h.update(JSON.stringify(truth.customer(id)));
  return h.digest("hex").slice(0, 16);
}

function activeCustomers(world: World, truth: GroundTruth): Set<string> {
  return new Set(world.customerIds().filter((id) => truth.isAlive(id)));
}

/** Every k-th customer, so the sample is the same on every policy's world. */
function regretSampleOf(world: World, n: number): Set<string> {
  const ids = world.customerIds();
  if (n <= 0) return new Set();
  const step = Math.max(1, Math.floor(ids.length / n));
  return new Set(ids.filter((_, i) => i % step === 0).slice(0, n));
}

/**
 * Expected incremental purchases (ground truth, before the world moves) of the messages sent to the
 * sample, and the oracle's on the same customers: the one message (strategy × consented channel ×
 * offer depth) with the largest true effect, or none when nothing helps. Discount costs are not
 * part of it: regret counts purchases left on the table.
 */
function regretOf(truth: GroundTruth, sample: ReadonlySet<string>, messages: readonly LoopMessage[], sendAt: Date) {
  if (sample.size === 0) return null;
  let expectedEffect = 0;
  for (const m of messages) {
    if (!sample.has(m.customerId)) continue;
    expectedEffect += truth.expectedEffect({
      customerId: m.customerId,
      strategy: m.strategy,
      channel: m.channel,
      offerDepth: m.offerDepth,
      at: m.sentAt,
    });
  }
  let oracleEffect = 0;
  for (const id of sample) {
    let best = 0;
    for (const channel of CHANNELS) {
      if (!truth.hasConsent(id, channel, sendAt)) continue;
      for (const strategy of SENDING_STRATEGIES)
        for (const offerDepth of OFFER_DEPTHS)
          best = Math.max(best, truth.expectedEffect({ customerId: id, strategy, channel, offerDepth, at: sendAt }));
    }
    oracleEffect += best;
  }
  return { expectedEffect, oracleEffect };
}

const HISTORY_KINDS: IngestKind[] = ["customers", "consents", "orders", "events", "responses"];
const STEP_KINDS: IngestKind[] = ["orders", "events", "responses", "consents"];

/** The messages a rule-based policy asks the world to deliver this cycle, at the local send hour. */
async function baselineMessages(db: Db, policy: "blast" | "rfm_rules" | "none", cycle: number, asOf: Date, cadenceDays: number) {
  if (policy === "none") return [];
  const audience = await baselineAudience(db, asOf);
  const tz = new Map(audience.map((a) => [a.customerId, a.timezone]));
  const decisions: BaselineDecision[] = policy === "blast" ? blastDecisions(audience) : rfmRulesDecisions(audience, cycle, cadenceDays);
  return decisions.map((d): LoopMessage => ({
    messageId: `${policy}-${cycle}-${d.customerId}-${d.channel}`,
    campaignId: `${policy}-${cycle}-${d.strategy}`,
    customerId: d.customerId,
    channel: d.channel,
    strategy: d.strategy,
    offerDepth: d.offerDepth,
    sentAt: nextLocalHour(asOf, tz.get(d.customerId) ?? "UTC", BASELINE_SEND_HOUR),
  }));
}

/** Pulse's messages for this cycle: one autonomous cycle, its sends drained from the simulator connector. */
async function pulseMessages(pulse: PulseCycles, connector: SimulatorConnector, db: Db, cycle: number, asOf: Date) {
  const started = await pulse.runCycle(cycle, asOf);
  await pulse.sendSpan(asOf);
  const sent = connector.drain();
  const terms = started.cycleId ? await messageTerms(db, started.cycleId) : new Map();
  const messages = sent.map((m): LoopMessage => {
    const t = terms.get(m.messageId);
    return {
      messageId: m.messageId,
      customerId: m.customerId,
      channel: m.channel as Channel,
      strategy: (t?.strategy ?? "targeted_promo") as Strategy,
      offerDepth: t?.offerDepth ?? 0,
      sentAt: new Date(m.sentAt),
      campaignId: m.campaignId,
      ...(t?.productSku ? { productSku: t.productSku } : {}),
    };
  });
  return { messages, note: started.note, digest: started.digest };
}

async function runPolicy(
  policy: LoopPolicy,
  world: World,
  history: Record<string, string>,
  dir: string,
  o: z.output<typeof loopOptionsSchema>,
  deps: LoopDeps,
  tick: (label: string) => void,
): Promise<PolicyRun> {
  const t0 = performance.now();
  const truth = groundTruth(world);
  const startDigest = worldDigest(world, truth);
  const activeAtStart = activeCustomers(world, truth);
  const sample = regretSampleOf(world, o.regretSample);
  const { db, close } = await deps.openDb(policy);
  const notes: string[] = [];
  let pulse: PulseCycles | undefined;
  try {
    for (const kind of HISTORY_KINDS) await ingestFile(db, kind, history[kind]!);
    const clock = new ManualClock(world.now);
    const connector = createSimulatorConnector();
    if (policy === "pulse")
      pulse = await openPulseCycles({ db, config: deps.config, clock, connector, cadenceDays: o.cadenceDays, seed: o.seed });
    const cycles: CycleFigures[] = [];
    const pulseCycles: PulseCycleDigest[] = [];
    for (let k = 0; k < o.cycles; k++) {
      const asOf = world.now;
      const end = new Date(asOf.getTime() + o.cadenceDays * DAY_MS);
      let messages: LoopMessage[];
      let segments: SegmentChanges | null = null;
      if (pulse) {
        const r = await pulseMessages(pulse, connector, db, k, asOf);
        messages = r.messages;
        segments = r.digest.segmentChanges;
        if (r.note) notes.push(`cycle ${k}: ${r.note}`);
        pulseCycles.push(r.digest);
      } else messages = await baselineMessages(db, policy as Exclude<LoopPolicy, "pulse">, k, asOf, o.cadenceDays);
      const regret = regretOf(truth, sample, messages, nextLocalHour(asOf, "UTC", BASELINE_SEND_HOUR));
      const step = world.step({ to: end, messages });
      const files = await writeStepFiles(step, path.join(dir, policy, `step-${k}`));
      for (const kind of STEP_KINDS) await ingestFile(db, kind, files.files[kind as keyof typeof files.files]);
      const delivered = messages.length - step.undelivered.length;
      cycles.push({ ...cycleFigures(k, step, messages, undefined, regret), segments });
      if (step.undelivered.length)
        notes.push(`cycle ${k}: ${step.undelivered.length} of ${messages.length} messages not delivered (${delivered} delivered)`);
      clock.set(end);
      tick(`${policy} cycle ${k + 1}/${o.cycles}`);
    }
    // The last cycle's window closes too, so its measurement and learning run as they would live.
    if (pulse) await pulse.closeLast(world.now);
    return {
      policy,
      cycles,
      retention: retention(activeAtStart, activeCustomers(world, truth)),
      activeAtStart: activeAtStart.size,
      seconds: (performance.now() - t0) / 1000,
      startDigest,
      notes,
      ...(pulse ? { pulseCycles } : {}),
    };
  } finally {
    await pulse?.close();
    await close();
  }
}

/**
 * Many cycles on simulated time: one simulated retailer, each policy on its own copy of the same
 * world (rebuilt from the same seed; the world's draws are per customer and period, so the copies
 * share their random numbers), the world responding between cycles and its rows coming back
 * through ingestion into the policy's own database.
 */
export async function runLoop(input: LoopOptions, deps: LoopDeps): Promise<LoopReport> {
  const o = loopOptionsSchema.parse(input);
  const t0 = performance.now();
  const dir = mkdtempSync(path.join(tmpdir(), "pulse-loop-"));
  try {
    const generated = await generateWorld({ customers: o.customers, seed: o.seed, out: path.join(dir, "history") });
    const total = o.policies.length * o.cycles;
    let done = 0;
    const runs: PolicyRun[] = [];
    for (const [i, policy] of o.policies.entries()) {
      const world = i === 0 ? generated.world : await World.create({ customers: o.customers, seed: o.seed });
      runs.push(await runPolicy(policy, world, generated.files, dir, o, deps, (label) => deps.onProgress?.(++done, total, label)));
    }
    const digests = Object.fromEntries(runs.map((r) => [r.policy, r.startDigest]));
    const start = new Date(generated.manifest.now);
    return {
      customers: o.customers,
      cycles: o.cycles,
      seed: o.seed,
      cadenceDays: o.cadenceDays,
      start: start.toISOString(),
      end: new Date(start.getTime() + o.cycles * o.cadenceDays * DAY_MS).toISOString(),
      policies: summarizeRuns(runs),
      paired: new Set(Object.values(digests)).size === 1,
      startDigests: digests,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
