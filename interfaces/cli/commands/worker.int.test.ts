import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../../core/config.js";
import { BullmqRunner } from "../../../workflows/jobs/bullmq-runner.js";
import { getCycleSchedule } from "../../../workflows/jobs/scheduler.js";
import { exitOf, watchOutput } from "../../../workflows/jobs/test-process.js";
import { createTestRedis, type TestRedis } from "../../../workflows/jobs/test-redis.js";
import { WORKER_NEEDS_REDIS } from "./worker.js";

const cli = fileURLToPath(new URL("../../../workflows/jobs/fixtures/worker-cli.ts", import.meta.url));
const root = fileURLToPath(new URL("../../../", import.meta.url));

describe("pulse worker (real Redis and PostgreSQL)", () => {
  let redis: TestRedis;
  let schema: string;
  let child: ChildProcess | undefined;
  const databaseUrl = loadConfig().PULSE_TEST_DATABASE_URL;

  beforeEach(async () => {
    redis = await createTestRedis();
    schema = `t_${randomBytes(6).toString("hex")}`;
  });

  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    child = undefined;
    await redis.cleanup();
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  /** A clean environment (nothing inherited), so the child sees exactly this configuration. */
  function start(args: string[], env: Record<string, string>): ChildProcess {
    child = spawn(process.execPath, ["--import", "tsx", cli, "worker", ...args], {
      cwd: root,
      env: {
        REDIS_URL: redis.url,
        PULSE_QUEUE_PREFIX: redis.prefix,
        DATABASE_URL: databaseUrl,
        PULSE_DB_SCHEMA: schema,
        PULSE_LOG_LEVEL: "info",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    return child;
  }

  it("without REDIS_URL explains itself and exits 4", async () => {
    const c = start([], { REDIS_URL: "" });
    const err = watchOutput(c, "stderr");
    expect((await exitOf(c)).code).toBe(4);
    expect(err.text).toContain(WORKER_NEEDS_REDIS);
  });

  it.each([
    [["--queues", "cycle,sendd-email"], /unknown queue "sendd-email"/],
    [["--schedule", "every monday"], /invalid cron "every monday"/],
    [["--rate", "fax=1/1s"], /unknown channel "fax"/],
    [["--concurrency", "0"], /--concurrency must be a positive integer/],
  ])("rejects %j with exit code 3", async (args, message) => {
    const c = start(args, {});
    const err = watchOutput(c, "stderr");
    expect((await exitOf(c)).code).toBe(3);
    expect(err.text).toMatch(message);
  });

  it("works jobs, installs the schedule, and on SIGTERM finishes the active job and exits 0", async () => {
    const c = start(["--schedule", "0 9 * * 1", "--concurrency", "2", "--queues", "cycle,measure"], {});
    const exited = exitOf(c);
    const out = watchOutput(c);
    const err = watchOutput(c, "stderr");
    await err.waitFor(/"msg":"worker started"/);
    expect(err.text).toContain('"msg":"autonomous-cycle schedule installed"');
    expect(await getCycleSchedule({ connection: redis.connection, prefix: redis.prefix })).toMatchObject({ pattern: "0 9 * * 1" });

    const runner = new BullmqRunner({ connection: redis.connection, prefix: redis.prefix });
    const { jobId } = await runner.enqueue("cycle", { kind: "run", cycleId: "c-test" }, { jobId: "cycle.c-test" });
    await out.waitFor(/^cycle cycle\.c-test$/m);
    c.kill("SIGTERM");
    expect(await exited).toEqual({ code: 0, signal: null });
    expect(err.text).toContain('"msg":"shutting down: waiting for active jobs"');
    expect(err.text).toContain('"msg":"worker stopped"');
    expect(await runner.queue("cycle").getJobState(jobId)).toBe("completed");
    await runner.close();
  });
});
