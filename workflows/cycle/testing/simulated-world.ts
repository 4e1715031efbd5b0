import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { IngestKind } from "../../../ingest/formats.js";
import { ingestFile, type IngestSummary } from "../../../ingest/ingest-file.js";
import { generateWorld, writeStepFiles, type Strategy, type World } from "../../../sim/index.js";
import type { Db } from "../../../store/db.js";

/**
 * Test support: a small simulated retailer, generated into a temporary directory and loaded into a
 * test database through ingestion (as `pulse demo` does), ready to be stepped with delivered messages.
 */
export interface SimulatedWorld {
  world: World;
  /** The end of the simulated history: the cycle's asOf. */
  asOf: Date;
  dir: string;
  loads: IngestSummary[];
  /** Simulates the customers' responses to `messages` up to `to`, and loads them through ingestion. */
  respond(to: Date, messages: readonly DeliveredMessage[]): Promise<IngestSummary[]>;
  cleanup(): Promise<void>;
}

export interface DeliveredMessage {
  messageId: string;
  customerId: string;
  channel: string;
  campaignId: string;
  sentAt: string;
  strategy: Strategy;
  offerDepth: number;
}

export const HISTORY_KINDS: readonly IngestKind[] = ["customers", "consents", "orders", "events", "responses"];
const STEP_KINDS: readonly IngestKind[] = ["orders", "events", "responses", "consents"];

export async function loadSimulatedWorld(db: Db, options: { customers: number; seed: number; months?: number }): Promise<SimulatedWorld> {
  const dir = await mkdtemp(path.join(tmpdir(), "pulse-cycle-world-"));
  try {
    const generated = await generateWorld({
      customers: options.customers,
      seed: options.seed,
      ...(options.months ? { months: options.months } : {}),
      out: path.join(dir, "history"),
    });
    const loads: IngestSummary[] = [];
    for (const kind of HISTORY_KINDS) loads.push(await ingestFile(db, kind, generated.files[kind as keyof typeof generated.files]));
    let steps = 0;
    return {
      world: generated.world,
      asOf: new Date(generated.manifest.now),
      dir,
      loads,
      async respond(to, messages) {
        const step = generated.world.step({
          to: to.toISOString(),
          messages: messages.map((m) => ({ ...m, channel: m.channel as "email" })),
        });
        const files = await writeStepFiles(step, path.join(dir, `step-${++steps}`));
        const out: IngestSummary[] = [];
        for (const kind of STEP_KINDS) out.push(await ingestFile(db, kind, files.files[kind as keyof typeof files.files]));
        return out;
      },
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
