import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { emailMessage } from "../connectors/connector-fixtures.js";
import type { OutboundMessage } from "../connectors/connector.js";
import { DeadLetterFile } from "../connectors/dead-letter-file.js";
import { createWebhookConnector } from "../connectors/webhook.js";
import { startTestServer, type TestServer } from "../connectors/webhook-test-server.js";
import type { Actor } from "../core/roles.js";
import { createAuditLog } from "../guardrails/audit.js";
import { readCycleLog } from "../store/audit-repo.js";
import { messageStatus } from "../store/dead-letters-repo.js";
import { insertMessages, markMessages } from "../store/messages-repo.js";
import { createTestDb, type TestDb } from "../store/test-db.js";
import { listDeadLetters, replayDeadLetters } from "./deliveries.js";

const secret = "whsec_test_0123456789abcdef";
const actor: Actor = { id: "cli:tester", role: "admin", name: "tester" };
let dir: string;
let server: TestServer | undefined;
let t: TestDb;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "pulse-deliveries-"));
  t = await createTestDb("postgres");
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  await t.drop();
  await rm(dir, { recursive: true, force: true });
});

async function storeDeadLettered(messages: OutboundMessage[]) {
  await insertMessages(
    t.db,
    messages.map((m) => ({
      messageId: m.messageId,
      dedupeKey: m.dedupeKey,
      cycleId: m.cycleId,
      campaignId: m.campaignId,
      customerId: m.customerId,
      channel: m.channel,
      strategy: "winback",
      offerDepth: 0,
      templateId: null,
      variantId: "v1",
      content: {},
    })),
  );
  await t.db.transaction((client) =>
    markMessages(
      client,
      messages.map((m) => ({ messageId: m.messageId, status: "dead_lettered" })),
      null,
    ),
  );
}

describe("pulse deliveries: dead letters listed and replayed, each message accepted once", () => {
  it("replays dead letters with their Idempotency-Key, audits each replay, and closes the delivered ones", async () => {
    const [c, d, e] = [emailMessage(), emailMessage(), emailMessage()];
    server = await startTestServer(
      [
        { status: 503 }, // c #1..#3: dead-lettered
        { status: 503 },
        { status: 503 },
        { status: 200, delayMs: 2000 }, // d #1: accepted by the endpoint, but the client gave up (500 ms)
        { status: 200, delayMs: 2000 }, // d #2, #3: repeats, also too slow: dead-lettered
        { status: 200, delayMs: 2000 },
        { status: 500 }, // e #1..#3: dead-lettered
        { status: 500 },
        { status: 500 },
        { status: 503 }, // replay of e alone: still down, stays open
        { status: 200 }, // replay all: c accepted
        { status: 200 }, //             d: a repeat, not accepted again
        { status: 200 }, //             e accepted
      ],
      { dedupe: true },
    );
    const deadPath = join(dir, "dead-letter.jsonl");
    const sender = createWebhookConnector(
      { url: server.url, secret, timeoutMs: 500, maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
      { deadLetter: new DeadLetterFile(deadPath), closeDeadLetter: true },
    );
    for (const m of [c, d, e]) expect((await sender.deliver(m)).status).toBe("dead_lettered");
    await sender.close();
    await storeDeadLettered([c, d, e]);

    const listed = await listDeadLetters(deadPath);
    expect(listed.skippedLines).toBe(0);
    expect(listed.deadLetters.map((x) => [x.id, x.attempts, x.reason])).toEqual([
      [c.messageId, 3, "DELIVERY_FAILED: receiver answered HTTP 503"],
      [d.messageId, 3, "DELIVERY_TIMEOUT: no response within 500 ms"],
      [e.messageId, 3, "DELIVERY_FAILED: receiver answered HTTP 500"],
    ]);

    const replayer = createWebhookConnector({ url: server.url, secret, timeoutMs: 2000, maxAttempts: 1 });
    const audit = createAuditLog(t.db);
    const deps = { db: t.db, audit, connector: replayer, actor };

    const first = await replayDeadLetters(deadPath, { ids: [e.messageId, "no-such-id"] }, deps);
    expect(first).toEqual([
      { id: e.messageId, outcome: "failed", attempts: 1, markedSent: false, error: "receiver answered HTTP 503" },
      { id: "no-such-id", outcome: "not_found", attempts: 0, markedSent: false },
    ]);
    expect((await listDeadLetters(deadPath)).deadLetters).toHaveLength(3);

    const all = await replayDeadLetters(deadPath, { all: true }, deps);
    expect(all.map((o) => [o.id, o.outcome, o.markedSent])).toEqual([
      [c.messageId, "delivered", true],
      [d.messageId, "delivered", true],
      [e.messageId, "delivered", true],
    ]);
    expect((await listDeadLetters(deadPath)).deadLetters).toEqual([]);
    expect(await replayDeadLetters(deadPath, { all: true }, deps)).toEqual([]);
    await replayer.close();

    // The endpoint accepted each message exactly once across 3+3+3 attempts and 4 replays.
    expect(server.requests).toHaveLength(13);
    expect(Object.fromEntries(server.accepted)).toEqual({ [c.dedupeKey]: 1, [d.dedupeKey]: 1, [e.dedupeKey]: 1 });
    expect(Object.fromEntries(server.duplicates)).toEqual({ [d.dedupeKey]: 3 });
    for (const m of [c, d, e]) expect(await messageStatus(t.db.pool, m.messageId)).toBe("sent");

    const replays = await readCycleLog(t.db, c.cycleId, ["delivery_replay"]);
    expect(replays.map((r) => [r.actor, r.customerId, (r.entry as { outcome: string }).outcome])).toEqual([
      ["cli:tester", e.customerId, "failed"],
      ["cli:tester", c.customerId, "delivered"],
      ["cli:tester", d.customerId, "delivered"],
      ["cli:tester", e.customerId, "delivered"],
    ]);
  });

  it("a message dead-lettered again after a replay is open again", async () => {
    const m = emailMessage();
    server = await startTestServer([{ status: 500 }, { status: 200 }, { status: 500 }], { dedupe: true });
    const deadPath = join(dir, "dead-letter.jsonl");
    const send = () => {
      const s = createWebhookConnector(
        { url: server!.url, secret, maxAttempts: 1 },
        { deadLetter: new DeadLetterFile(deadPath), closeDeadLetter: true },
      );
      return s.deliver(m).finally(() => s.close());
    };
    expect((await send()).status).toBe("dead_lettered");
    const replayer = createWebhookConnector({ url: server.url, secret, maxAttempts: 1 });
    expect(
      await replayDeadLetters(deadPath, { all: true }, { db: t.db, audit: createAuditLog(t.db), connector: replayer, actor }),
    ).toMatchObject([{ outcome: "delivered", markedSent: false }]);
    await replayer.close();
    await new Promise((r) => setTimeout(r, 5));
    expect((await send()).status).toBe("dead_lettered");
    expect((await listDeadLetters(deadPath)).deadLetters.map((x) => [x.id, x.incidents])).toEqual([[m.messageId, 1]]);
  });
});
