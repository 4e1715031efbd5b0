import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { emailMessage } from "./connector-fixtures.js";
import { DeadLetterFile, type DeadLetterRecord } from "./dead-letter-file.js";
import { createWebhookConnector } from "./webhook.js";
import { startTestServer, type TestServer } from "./webhook-test-server.js";

const secret = "whsec_test_0123456789abcdef";
let dir: string;
let server: TestServer | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "pulse-webhook-idem-"));
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  await rm(dir, { recursive: true, force: true });
});

describe("webhook Idempotency-Key: each message accepted once by the endpoint", () => {
  it("across retries, a slow endpoint answering after the client gave up, and replays of dead letters", async () => {
    const a = emailMessage();
    const b = emailMessage();
    const c = emailMessage();
    // One request after another, in this order (the server answers request n with script[n]).
    server = await startTestServer(
      [
        { status: 200, delayMs: 2000 }, // a #1: accepted, but answered after the client's 500 ms timeout
        { status: 200 }, // a #2: a repeat of an accepted key
        { status: 500 }, // b #1
        { status: 429, headers: { "retry-after": "0" } }, // b #2
        { status: 200 }, // b #3: accepted
        { status: 503 }, // c #1
        { status: 503 }, // c #2
        { status: 503 }, // c #3: dead-lettered
        { status: 200 }, // replay of c: accepted
        { status: 200 }, // replay of c again (an operator replaying twice): repeat
        { status: 200 }, // replay of a (already delivered): repeat
      ],
      { dedupe: true },
    );
    const sleeps: number[] = [];
    const deadPath = join(dir, "dead.jsonl");
    const webhook = createWebhookConnector(
      { url: server.url, secret, timeoutMs: 500, maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 50 },
      { deadLetter: new DeadLetterFile(deadPath), closeDeadLetter: true, sleep: async (ms) => void sleeps.push(ms) },
    );

    expect(await webhook.deliver(a)).toEqual({ status: "delivered", attempts: 2 });
    expect(await webhook.deliver(b)).toEqual({ status: "delivered", attempts: 3 });
    expect(await webhook.deliver(c)).toMatchObject({ status: "dead_lettered", attempts: 3 });
    await webhook.close();

    // Replay what the dead-letter file holds, as stored, through a fresh connector without a sink.
    const [record] = (await readFile(deadPath, "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as DeadLetterRecord);
    expect(record!.message).toEqual(c);
    const replayer = createWebhookConnector({ url: server.url, secret, timeoutMs: 1000, maxAttempts: 1 });
    expect(await replayer.deliver(record!.message)).toMatchObject({ status: "delivered", attempts: 1 });
    expect(await replayer.deliver(record!.message)).toMatchObject({ status: "delivered", attempts: 1 });
    expect(await replayer.deliver(a)).toMatchObject({ status: "delivered", attempts: 1 });
    await replayer.close();

    const perKey = (key: string) => server!.requests.filter((r) => r.headers["idempotency-key"] === key).length;
    expect([perKey(a.dedupeKey), perKey(b.dedupeKey), perKey(c.dedupeKey)]).toEqual([3, 3, 5]);
    expect(server.requests).toHaveLength(11);
    // Every request carried its message's key; each message was accepted exactly once.
    expect(server.requests.every((r) => [a, b, c].some((m) => m.dedupeKey === r.headers["idempotency-key"]))).toBe(true);
    expect(Object.fromEntries(server.accepted)).toEqual({ [a.dedupeKey]: 1, [b.dedupeKey]: 1, [c.dedupeKey]: 1 });
    expect(Object.fromEntries(server.duplicates)).toEqual({ [a.dedupeKey]: 2, [c.dedupeKey]: 1 });
    expect(sleeps).toHaveLength(1 + 2 + 2);
    expect(sleeps[2]).toBe(0); // b's 429 said Retry-After: 0
  });

  it("counts distinct keys apart: two messages with two keys are two acceptances", async () => {
    const m = emailMessage();
    server = await startTestServer([{ status: 200 }], { dedupe: true });
    const webhook = createWebhookConnector({ url: server.url, secret, maxAttempts: 1 });
    await webhook.deliver(m);
    await webhook.deliver({ ...m, dedupeKey: `${m.dedupeKey}:other` });
    await webhook.close();
    expect([...server.accepted.values()]).toEqual([1, 1]);
    expect(server.duplicates.size).toBe(0);
  });
});
