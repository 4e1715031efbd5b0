import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../../core/clock.js";
import { loadConfig } from "../../../core/config.js";
import { createTestDb, type TestDb } from "../../../store/test-db.js";
import { jobIds } from "../../../workflows/cycle/ids.js";
import { messagesOf, RecordingRunner, testConfig } from "../../../workflows/cycle/testing/cycle-test-kit.js";
import { loadSimulatedWorld, type SimulatedWorld } from "../../../workflows/cycle/testing/simulated-world.js";
import { DEMO_SETTINGS, setDemoPolicy } from "../../../workflows/demo.js";
import { createCycleRuntime } from "../../../workflows/runtime.js";

/**
 * `pulse cycle run-due` through the real CLI (a child process, no Redis, PostgreSQL): a cycle whose
 * activation jobs never ran (they were only recorded) is delivered by run-due, which enqueues the
 * activate node's own shards; a second run-due sends nothing twice.
 */

const main = fileURLToPath(new URL("../main.ts", import.meta.url));
const root = fileURLToPath(new URL("../../../", import.meta.url));
const run = promisify(execFile);

let t: TestDb;
let sim: SimulatedWorld;
let dir: string;

async function pulse(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, ["--import", "tsx", main, ...args], {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: loadConfig().PULSE_TEST_DATABASE_URL,
        PULSE_DB_SCHEMA: t.db.schema,
        PULSE_DATA_DIR: dir,
      },
      timeout: 120_000,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

const outboxLines = () => {
  try {
    return readFileSync(path.join(dir, "outbox.jsonl"), "utf8").split("\n").filter(Boolean).length;
  } catch {
    return 0;
  }
};

beforeAll(async () => {
  t = await createTestDb("postgres");
  dir = mkdtempSync(path.join(tmpdir(), "pulse-run-due-"));
  sim = await loadSimulatedWorld(t.db, { customers: 300, seed: 17, months: 6 });
}, 180_000);
afterAll(async () => {
  await sim?.cleanup();
  await t?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe("pulse cycle run-due (CLI, PostgreSQL, in-process jobs)", () => {
  it("runs the activate node's shards and sends every treated customer's message once", async () => {
    // The cycle activates, but its jobs are only recorded: nothing is created or sent yet.
    const recorder = new RecordingRunner();
    const runtime = await createCycleRuntime(testConfig(), { db: t.db, runner: recorder, clock: new ManualClock(sim.asOf) });
    let cycleId: string;
    let shards: number;
    let treated: number;
    try {
      await setDemoPolicy(t.db);
      const started = await runtime.service.start({ requestedBy: "ann", asOf: sim.asOf, settings: DEMO_SETTINGS });
      expect(started.state.status).toBe("activated");
      ({ cycleId } = started);
      ({ shards, treated } = started.state.activation!);
    } finally {
      await runtime.close();
    }
    const shardJobs = recorder.jobs.filter((j) => j.queue === "activation");
    expect(shardJobs.length).toBe(shards);
    expect(shardJobs.map((j) => j.jobId)).toContain(jobIds.activation(cycleId, 0, 0));
    expect(treated).toBeGreaterThan(20);
    expect(await messagesOf(t.db, cycleId)).toHaveLength(0);

    const first = await pulse("cycle", "run-due", cycleId);
    expect(first.code, first.stderr).toBe(0);
    const messages = await messagesOf(t.db, cycleId);
    // One message per treated customer whose copy rendered, each either sent or suppressed at send time.
    expect(new Set(messages.map((m) => m.customer_id)).size).toBe(messages.length);
    expect(messages.length).toBeGreaterThan(20);
    expect(messages.length).toBeLessThanOrEqual(treated);
    expect(messages.filter((m) => m.status === "queued")).toEqual([]);
    const sent = messages.filter((m) => m.status === "sent").length;
    expect(sent).toBeGreaterThan(0);
    expect(outboxLines()).toBe(sent);
    // The same shards as the activate node's (sized by treated customers), then send jobs: one per
    // batch of a shard's messages due at the same time, so at least one and at most one per message.
    const run = /(\d+) jobs run, 0 failed, 0 still scheduled/.exec(first.stdout);
    expect(run, first.stdout).not.toBeNull();
    const sendJobs = Number(run![1]) - shards;
    expect(sendJobs).toBeGreaterThanOrEqual(1);
    expect(sendJobs).toBeLessThanOrEqual(messages.length);

    const second = await pulse("cycle", "run-due", cycleId);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain(`${shards} jobs run, 0 failed, 0 still scheduled`);
    expect(await messagesOf(t.db, cycleId)).toEqual(messages);
    expect(outboxLines()).toBe(sent);
  }, 240_000);
});
