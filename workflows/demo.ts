import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createSimulatorConnector } from "../connectors/simulator.js";
import type { Config } from "../core/config.js";
import { ManualClock, type Clock } from "../core/clock.js";
import type { Actor } from "../core/roles.js";
import { createAuditLog } from "../guardrails/audit.js";
import type { GuardrailPolicyInput } from "../guardrails/guardrail-policy.js";
import { ensureGuardrailPolicy } from "../guardrails/guardrail-policy-store.js";
import { verifyAuditLog } from "../guardrails/audit-verify.js";
import { ingestFile, type IngestSummary } from "../ingest/ingest-file.js";
import type { IngestKind } from "../ingest/formats.js";
import { generateWorld, writeStepFiles, type Strategy } from "../sim/index.js";
import { cycleMessages, firstSentCustomer, messageCounts, sampleMessagePerChannel } from "../store/messages-repo.js";
import { firstSkippedTarget, targetSummary } from "../store/targets-repo.js";
import type { Db } from "../store/db.js";
import { rfmSummary, type RfmSummary } from "../store/rfm-repo.js";
import type { CycleSettingsInput } from "./cycle/settings.js";
import type { CycleState } from "./cycle/state.js";
import { createCycleRuntime, type CycleRuntime } from "./runtime.js";

/** The demo's approval policy: plans are approved by policy so the demo runs unattended (it says so). */
export const DEMO_SETTINGS: CycleSettingsInput = {
  approvalPolicy: {
    version: "demo-policy/1",
    maxAutoDiscount: 0.2,
    maxAutoAudience: 1_000_000,
    newContentNeedsHuman: false,
    flaggedCheckNeedsHuman: false,
  },
};

/**
 * The guardrail policy the demo's retailer runs under: DEMO_SETTINGS' approval tiers, which are
 * looser than the built-in defaults, so the demo's own admin sets them (a brief could not).
 */
export const DEMO_POLICY: GuardrailPolicyInput = {
  approvalPolicy: { maxAutoDiscount: 0.2, maxAutoAudience: 1_000_000, newContentNeedsHuman: false, flaggedCheckNeedsHuman: false },
};
export const DEMO_ADMIN: Actor = { id: "pulse:demo", role: "admin", name: "the demo's admin" };

/** Puts DEMO_POLICY in force on a demo or test database (a no-op when it is already). */
export async function setDemoPolicy(db: Db, clock?: Clock): Promise<void> {
  await ensureGuardrailPolicy(
    { db, audit: createAuditLog(db, clock), ...(clock ? { clock } : {}) },
    DEMO_ADMIN,
    DEMO_POLICY,
    "the demo: plans go out on the policy's authority so the demo runs unattended",
  );
}

export interface DemoReport {
  customers: number;
  seed: number;
  timings: Record<string, number>;
  loads: IngestSummary[];
  rfm: RfmSummary;
  cycleId: string;
  state: CycleState;
  targets: { decision: string; code: string; customers: number }[];
  messages: { channel: string; status: string; n: number }[];
  samples: { channel: string; segment: string; variantId: string; content: Record<string, unknown> }[];
  /** A customer who was sent a message and one who was not (with the first reason), to look up with `pulse audit why`. */
  examples: { sent: string | null; skipped: { customerId: string; code: string } | null };
  stepLoads: IngestSummary[];
  audit: { ok: boolean; entries: number; rows: number; problem?: string };
  llm: { mode: "llm" | "offline"; calls: number; promptTokens: number; completionTokens: number; costUsd: number };
}

/**
 * The whole loop on a simulated retailer: generate 12 months of history, load it through
 * ingestion, run one cycle (refresh → plan → compose → review → approve by the demo's policy →
 * activate), let the simulated world respond to the messages for the attribution window, load
 * what happened through ingestion again, then measure and learn.
 */
export async function runDemo(options: {
  db: Db;
  config: Config;
  customers: number;
  seed: number;
  progress?: (line: string) => void;
}): Promise<DemoReport> {
  const say = options.progress ?? (() => {});
  const timings: Record<string, number> = {};
  const t0 = Date.now();
  let mark = t0;
  const lap = (name: string) => {
    timings[name] = (Date.now() - mark) / 1000;
    mark = Date.now();
  };
  const dir = mkdtempSync(path.join(tmpdir(), "pulse-demo-"));
  let runtime: CycleRuntime | undefined;
  try {
    say(`Simulating a retailer: ${options.customers.toLocaleString("en")} customers, 12 months, seed ${options.seed} ...`);
    const generated = await generateWorld({ customers: options.customers, seed: options.seed, out: dir });
    const { world } = generated;
    lap("simulate");

    const loads: IngestSummary[] = [];
    for (const kind of ["customers", "consents", "orders", "events", "responses"] as IngestKind[]) {
      say(`Loading ${kind} ...`);
      loads.push(await ingestFile(options.db, kind, generated.files[kind as keyof typeof generated.files]));
    }
    lap("ingest");
    const asOf = new Date(generated.manifest.now);
    const rfm = await rfmSummary(options.db, asOf);

    // One cycle on the simulated clock, with jobs run in-process and sends delivered to the world.
    const clock = new ManualClock(asOf);
    const connector = createSimulatorConnector();
    runtime = await createCycleRuntime(options.config, {
      db: options.db,
      runner: "in-process",
      inProcess: { sleep: async () => {} },
      clock,
      connector,
      actor: "pulse",
    });
    const { service } = runtime;
    const inner = runtime.inProcess!;

    await setDemoPolicy(options.db, clock);
    say("Running the cycle: refresh → plan → compose → review → approve → activate ...");
    const started = await service.start({ requestedBy: "demo", asOf, settings: DEMO_SETTINGS });
    const cycleId = started.cycleId;
    if (started.waiting?.kind !== "attribution_window")
      throw new Error(`the demo cycle stopped at ${started.state.status}, expected it to be activated`);
    lap("cycle");

    // Sends go out at each customer's local send hour over the next two days.
    clock.advanceDays(2);
    await inner.drain();
    const sent = connector.drain();
    const byId = new Map((await cycleMessages(options.db, cycleId)).map((m) => [m.message_id, m]));
    say(`Delivered ${sent.length.toLocaleString("en")} messages to the simulated customers; letting the world respond ...`);
    const windowEnd = new Date(started.state.activation!.measureAt);
    const step = world.step({
      to: windowEnd.toISOString(),
      messages: sent.map((m) => ({
        messageId: m.messageId,
        customerId: m.customerId,
        channel: m.channel,
        strategy: byId.get(m.messageId)!.strategy as Strategy,
        offerDepth: Number(byId.get(m.messageId)!.offer_depth),
        sentAt: m.sentAt,
        campaignId: m.campaignId,
      })),
    });
    const stepFiles = await writeStepFiles(step, path.join(dir, "step-1"));
    const stepLoads: IngestSummary[] = [];
    for (const kind of ["orders", "events", "responses", "consents"] as IngestKind[]) {
      stepLoads.push(await ingestFile(options.db, kind, stepFiles.files[kind as keyof typeof stepFiles.files]));
    }
    lap("respond");

    say("Attribution window closed: measuring lift against the holdouts and learning ...");
    clock.set(windowEnd.getTime() + 1000);
    await inner.drain();
    const final = await service.get(cycleId);
    lap("measure");
    if (!final.state.measurement)
      throw new Error(
        `measurement did not run (status ${final.state.status}); failed jobs: ${inner
          .failed()
          .map((f) => `${f.queue}: ${f.error}`)
          .join("; ")}`,
      );

    const sampleRows = await sampleMessagePerChannel(options.db, cycleId);
    const segName = new Map(final.state.refresh!.segments.map((s) => [s.segmentId, s.name]));
    const campaigns = new Map(final.state.copy!.campaigns.map((c) => [c.campaignId, c]));
    const sentExample = await firstSentCustomer(options.db, cycleId);
    const skippedExample = await firstSkippedTarget(options.db, cycleId);
    const audit = await verifyAuditLog(options.db);
    lap("report");
    timings.total = (Date.now() - t0) / 1000;
    const acc = final.state.llm;
    return {
      customers: options.customers,
      seed: options.seed,
      timings,
      loads,
      rfm,
      cycleId,
      state: final.state,
      targets: await targetSummary(options.db, cycleId),
      messages: await messageCounts(options.db, cycleId),
      samples: sampleRows.map((r) => ({
        channel: r.channel,
        segment: segName.get(campaigns.get(r.campaign_id)?.segmentId ?? "") ?? "",
        variantId: r.variant_id,
        content: r.content,
      })),
      examples: { sent: sentExample, skipped: skippedExample },
      stepLoads,
      audit: {
        ok: audit.ok,
        entries: audit.entries,
        rows: audit.rows,
        ...(audit.break ? { problem: `seq ${audit.break.seq}: ${audit.break.message}` } : {}),
      },
      llm: {
        mode: runtime.deps.makeLlm ? "llm" : "offline",
        calls: acc.calls,
        promptTokens: acc.promptTokens,
        completionTokens: acc.completionTokens,
        costUsd: acc.costUsd,
      },
    };
  } finally {
    await runtime?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
