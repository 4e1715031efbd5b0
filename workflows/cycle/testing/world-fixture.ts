import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll } from "vitest";
import { FileOutboxConnector } from "../../../connectors/file-outbox.js";
import { ManualClock } from "../../../core/clock.js";
import type { Db } from "../../../store/db.js";
import { createTestDb, type Backend, type TestDb } from "../../../store/test-db.js";
import type { JobRunner } from "../../jobs/types.js";
import { createCycleRuntime } from "../../runtime.js";
import { RecordingRunner, testConfig } from "./cycle-test-kit.js";
import { loadSimulatedWorld, type SimulatedWorld } from "./simulated-world.js";

export interface WorldFixture {
  readonly db: Db;
  readonly sim: SimulatedWorld;
  /** A temporary directory for the test's outbox and other files. */
  readonly outDir: string;
}

/**
 * Test support: registers beforeAll / afterAll hooks that give the enclosing describe block its own
 * database (a fresh schema) with a small simulated retailer loaded through ingestion, and a
 * temporary directory; all are removed afterwards. Read the fields inside tests, not at collection.
 */
export function useSimulatedWorld(options: { customers: number; seed: number; months?: number; backend?: Backend }): WorldFixture {
  let testDb: TestDb | undefined;
  let sim: SimulatedWorld | undefined;
  let outDir: string | undefined;
  beforeAll(async () => {
    testDb = await createTestDb(options.backend ?? "postgres");
    outDir = await mkdtemp(path.join(tmpdir(), "pulse-cycle-test-"));
    sim = await loadSimulatedWorld(testDb.db, { customers: options.customers, seed: options.seed, months: options.months ?? 6 });
  }, 120_000);
  afterAll(async () => {
    await sim?.cleanup();
    await testDb?.drop();
    if (outDir) await rm(outDir, { recursive: true, force: true });
  }, 60_000);
  const ready = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`the simulated world's ${what} is not ready: read it inside a test or hook`);
    return value;
  };
  return {
    get db() {
      return ready(testDb, "database").db;
    },
    get sim() {
      return ready(sim, "world");
    },
    get outDir() {
      return ready(outDir, "directory");
    },
  };
}

/**
 * A cycle service on the world's database, offline (no LLM key), with a manual clock at the end of
 * the world's history, jobs handed to `runner` (recorded, by default) and sends to a JSONL outbox.
 */
export async function worldCycleService<R extends JobRunner = RecordingRunner>(
  world: WorldFixture,
  options: { runner?: R; outbox?: string } = {},
) {
  const runner = options.runner ?? (new RecordingRunner() as JobRunner as R);
  const clock = new ManualClock(world.sim.asOf);
  const connector = new FileOutboxConnector({ path: path.join(world.outDir, options.outbox ?? "outbox.jsonl") });
  const runtime = await createCycleRuntime(testConfig(), { db: world.db, runner, clock, connector });
  return { runner, clock, connector, runtime, deps: runtime.deps, service: runtime.service };
}
