/**
 * Test child process: loads a small simulated world into the given database (PostgreSQL schema or
 * embedded PGlite directory), starts a cycle, and exits once the graph has stopped (e.g. waiting
 * for approval). Prints one line `result <json>` with the cycle id, status and what it waits for.
 * Usage: node --import tsx start-cycle-process.ts '<json options>' (see optionsSchema).
 */
import { z } from "zod";
import { FileOutboxConnector } from "../../../connectors/file-outbox.js";
import { ManualClock } from "../../../core/clock.js";
import { openDb } from "../../../store/db.js";
import { createCycleRuntime } from "../../runtime.js";
import { RecordingRunner, testConfig } from "./cycle-test-kit.js";
import { loadSimulatedWorld } from "./simulated-world.js";

const optionsSchema = z.object({
  /** PostgreSQL; without it, the embedded PGlite in dataDir (this process then owns the directory). */
  databaseUrl: z.string().optional(),
  dataDir: z.string().default(""),
  schema: z.string(),
  world: z.object({ customers: z.number().int(), seed: z.number().int(), months: z.number().int().optional() }),
  requestedBy: z.string(),
  settings: z.record(z.string(), z.unknown()).default({}),
  outbox: z.string(),
});

async function run(): Promise<void> {
  const options = optionsSchema.parse(JSON.parse(process.argv[2] ?? "{}"));
  const db = await openDb({
    ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
    dataDir: options.dataDir,
    schema: options.schema,
  });
  try {
    const sim = await loadSimulatedWorld(db, options.world);
    try {
      const runner = new RecordingRunner();
      const { service } = await createCycleRuntime(testConfig(), {
        db,
        runner,
        clock: new ManualClock(sim.asOf),
        connector: new FileOutboxConnector({ path: options.outbox }),
      });
      const { cycleId, state, waiting } = await service.start({
        requestedBy: options.requestedBy,
        asOf: sim.asOf,
        settings: options.settings,
      });
      const result = {
        cycleId,
        asOf: sim.asOf.toISOString(),
        status: state.status,
        waiting,
        jobs: runner.jobs.length,
        risk: state.review?.risk ?? null,
      };
      process.stdout.write(`result ${JSON.stringify(result)}\n`);
    } finally {
      await sim.cleanup();
    }
  } finally {
    await db.close();
  }
}

run().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`start-cycle failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
