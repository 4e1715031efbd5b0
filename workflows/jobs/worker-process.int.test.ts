import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BullmqRunner } from "./bullmq-runner.js";
import { exitOf, watchOutput } from "./test-process.js";
import { createTestRedis, type TestRedis } from "./test-redis.js";

const fixture = fileURLToPath(new URL("./fixtures/graceful-worker.ts", import.meta.url));

describe("a worker process (real Redis)", () => {
  let redis: TestRedis;
  let child: ChildProcess | undefined;
  beforeEach(async () => {
    redis = await createTestRedis();
  });
  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await redis.cleanup();
  });

  it("on SIGTERM finishes its active job, closes and exits 0", async () => {
    child = spawn(process.execPath, ["--import", "tsx", fixture, redis.url, redis.prefix], { stdio: ["ignore", "pipe", "pipe"] });
    const exited = exitOf(child);
    const out = watchOutput(child);
    const err = watchOutput(child, "stderr");
    await out.waitFor(/^ready$/m).catch((e: Error) => Promise.reject(new Error(`${e.message}\nstderr:\n${err.text}`)));

    const runner = new BullmqRunner({ connection: redis.connection, prefix: redis.prefix });
    const { jobId } = await runner.enqueue(
      "send-email",
      { cycleId: "c1", campaignId: "k1", customerId: "u1", messageId: "c1.k1.u1.email" },
      { jobId: "c1.k1.u1.email" },
    );
    await out.waitFor(/^active c1\.k1\.u1\.email$/m);
    child.kill("SIGTERM");

    expect(await exited).toEqual({ code: 0, signal: null });
    expect(out.text.split("\n").filter(Boolean)).toEqual(["ready", `active ${jobId}`, `done ${jobId}`, "closed"]);
    expect(await runner.queue("send-email").getJobState(jobId)).toBe("completed");
    await runner.close();
  });
});
