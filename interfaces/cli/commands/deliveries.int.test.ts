import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emailMessage } from "../../../connectors/connector-fixtures.js";
import { DeadLetterFile } from "../../../connectors/dead-letter-file.js";
import { createWebhookConnector } from "../../../connectors/webhook.js";
import { startTestServer, type TestServer } from "../../../connectors/webhook-test-server.js";
import { readCycleLog } from "../../../store/audit-repo.js";
import { createTestDb, type TestDb } from "../../../store/test-db.js";
import { runPulse, type PulseRun } from "../testing/run-pulse.js";

const secret = "whsec_test_0123456789abcdef";
let testDb: TestDb;
let dataDir: string;
let server: TestServer;

function pulse(args: string[], actor = "ann"): Promise<PulseRun> {
  return runPulse(args, {
    schema: testDb.db.schema,
    dataDir,
    actor,
    roles: "ann:marketer,carol:compliance",
    env: { PULSE_WEBHOOK_URL: server.url, PULSE_WEBHOOK_SECRET: secret },
  });
}

beforeAll(async () => {
  testDb = await createTestDb("postgres");
  dataDir = await mkdtemp(path.join(tmpdir(), "pulse-deliveries-cli-"));
  // Two messages dead-lettered by the real connector into the data directory's dead-letter file:
  // the first after 503s, the second after the endpoint accepted it but answered too late.
  server = await startTestServer(
    [{ status: 503 }, { status: 503 }, { status: 200, delayMs: 2000 }, { status: 200, delayMs: 2000 }, { status: 200 }],
    { dedupe: true },
  );
  const sender = createWebhookConnector(
    { url: server.url, secret, timeoutMs: 500, maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
    { deadLetter: new DeadLetterFile(path.join(dataDir, "dead-letter.jsonl")), closeDeadLetter: true },
  );
  for (const m of [emailMessage(), emailMessage()]) expect((await sender.deliver(m)).status).toBe("dead_lettered");
  await sender.close();
}, 60_000);
afterAll(async () => {
  await server.close();
  await testDb.drop();
  await rm(dataDir, { recursive: true, force: true });
});

describe("pulse deliveries", () => {
  it("list, refuse bad usage and roles, retry --all, and the endpoint takes each message once", async () => {
    const listed = await pulse(["deliveries", "list", "--json"]);
    expect(listed.code, listed.stderr).toBe(0);
    const { deadLetters } = JSON.parse(listed.stdout) as { deadLetters: { id: string; dedupeKey: string; reason: string }[] };
    expect(deadLetters.map((d) => d.reason)).toEqual([
      "DELIVERY_FAILED: receiver answered HTTP 503",
      "DELIVERY_TIMEOUT: no response within 500 ms",
    ]);

    for (const bad of [[], ["--id", deadLetters[0]!.id, "--all"]]) {
      const r = await pulse(["deliveries", "retry", ...bad]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--id ID .* or --all/);
    }
    const refused = await pulse(["deliveries", "retry", "--all"], "carol");
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/compliance/);
    expect(server.requests).toHaveLength(4);

    const retried = await pulse(["deliveries", "retry", "--all", "--json"]);
    expect(retried.code, retried.stderr).toBe(0);
    expect((JSON.parse(retried.stdout) as { id: string; outcome: string }[]).map((o) => [o.id, o.outcome])).toEqual(
      deadLetters.map((d) => [d.id, "delivered"]),
    );
    const after = await pulse(["deliveries", "list"]);
    expect(after.stdout.trim()).toBe("no open dead letters");

    expect(server.requests).toHaveLength(6);
    expect(Object.fromEntries(server.accepted)).toEqual({ [deadLetters[0]!.dedupeKey]: 1, [deadLetters[1]!.dedupeKey]: 1 });
    expect(Object.fromEntries(server.duplicates)).toEqual({ [deadLetters[1]!.dedupeKey]: 2 });
    const replays = await readCycleLog(testDb.db, "cyc1", ["delivery_replay"]);
    expect(replays.map((r) => [r.actor, (r.entry as { messageId: string; outcome: string }).outcome])).toEqual([
      ["cli:ann", "delivered"],
      ["cli:ann", "delivered"],
    ]);
  }, 120_000);
});
