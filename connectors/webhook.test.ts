import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../core/clock.js";
import { emailMessage } from "./connector-fixtures.js";
import { DeadLetterFile, type DeadLetterRecord } from "./dead-letter-file.js";
import {
  ConnectorClosedError,
  ConnectorConfigError,
  DeliveryError,
  DeliveryRateLimitedError,
  DeliveryTimeoutError,
  InvalidOutboundMessageError,
  PermanentDeliveryError,
} from "./delivery-errors.js";
import { createWebhookConnector, verifyWebhookSignature, type WebhookOptionsInput } from "./webhook.js";
import { startTestServer, type ScriptedResponse, type TestServer } from "./webhook-test-server.js";

const secret = "whsec_test_0123456789abcdef";

let dir: string;
let server: TestServer | undefined;
let sleeps: number[];
const sleep = async (ms: number) => {
  sleeps.push(ms);
};

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "pulse-webhook-"));
  sleeps = [];
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  await rm(dir, { recursive: true, force: true });
});

async function serve(...script: ScriptedResponse[]): Promise<TestServer> {
  server = await startTestServer(script);
  return server;
}

function connector(url: string, options: Partial<WebhookOptionsInput> = {}, deadLetter?: DeadLetterFile) {
  return createWebhookConnector({ url, secret, baseDelayMs: 100, maxDelayMs: 1000, ...options }, { sleep, deadLetter, random: () => 0.5 });
}

async function readJsonl<T>(path: string): Promise<T[]> {
  const text = await readFile(path, "utf8");
  return text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as T);
}

describe("webhook connector", () => {
  it("POSTs the message as JSON, signed, with the Idempotency-Key, and reads the provider id", async () => {
    const srv = await serve({ status: 202, headers: { "content-type": "application/json" }, body: '{"id":"prov-42"}' });
    const message = emailMessage();
    const result = await connector(srv.url).deliver(message);

    expect(result).toEqual({ status: "delivered", attempts: 1, providerId: "prov-42" });
    expect(srv.requests).toHaveLength(1);
    const req = srv.requests[0]!;
    expect(req.method).toBe("POST");
    expect(req.url).toBe("/hooks/pulse");
    expect(req.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(req.headers["idempotency-key"]).toBe(message.dedupeKey);
    expect(req.headers["x-pulse-message-id"]).toBe(message.messageId);
    expect(req.headers["x-pulse-attempt"]).toBe("1");
    expect(JSON.parse(req.body.toString("utf8"))).toEqual(message);

    const signature = req.headers["x-pulse-signature"] as string;
    expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature(secret, signature, req.body, 300)).toBe(true);
    expect(verifyWebhookSignature(secret, signature, req.body.toString("utf8"), 300)).toBe(true);

    const tampered = req.body.toString("utf8").replace("Your weekend picks", "Your weekend pick$");
    expect(tampered).not.toBe(req.body.toString("utf8"));
    expect(verifyWebhookSignature(secret, signature, tampered, 300)).toBe(false);
    expect(verifyWebhookSignature("another-secret-0123456789", signature, req.body, 300)).toBe(false);
  });

  it("retries 500, 500 then delivers on 200 after 3 attempts, with backoff and the same key", async () => {
    const srv = await serve({ status: 500 }, { status: 500 }, { status: 200 });
    const message = emailMessage();
    const result = await connector(srv.url).deliver(message);

    expect(result).toEqual({ status: "delivered", attempts: 3 });
    expect(srv.requests.map((r) => r.headers["x-pulse-attempt"])).toEqual(["1", "2", "3"]);
    expect(new Set(srv.requests.map((r) => r.headers["idempotency-key"]))).toEqual(new Set([message.dedupeKey]));
    for (const r of srv.requests) expect(verifyWebhookSignature(secret, r.headers["x-pulse-signature"] as string, r.body)).toBe(true);
    // Exponential with equal jitter at random()=0.5: 100 ms then 200 ms, each scaled into [d/2, d].
    expect(sleeps).toEqual([75, 150]);
  });

  it("honours Retry-After (seconds) on 429", async () => {
    const srv = await serve({ status: 429, headers: { "retry-after": "7" } }, { status: 200 });
    const result = await connector(srv.url).deliver(emailMessage());
    expect(result).toMatchObject({ status: "delivered", attempts: 2 });
    expect(sleeps).toEqual([7000]);
  });

  it("honours Retry-After given as an HTTP date, against the injected clock", async () => {
    const clock = new ManualClock("2024-05-01T10:00:00Z");
    const srv = await serve({ status: 503, headers: { "retry-after": "Wed, 01 May 2024 10:00:12 GMT" } }, { status: 204 });
    const c = createWebhookConnector({ url: srv.url, secret }, { sleep, clock });
    expect(await c.deliver(emailMessage())).toMatchObject({ status: "delivered", attempts: 2 });
    expect(sleeps).toEqual([12_000]);
    // The signature timestamp comes from the injected clock as well.
    expect(srv.requests[0]!.headers["x-pulse-signature"]).toMatch(/^t=1714557600,/);
  });

  it("hands a Retry-After longer than maxRetryAfterMs back to the queue instead of sleeping", async () => {
    const srv = await serve({ status: 429, headers: { "retry-after": "3600" } }, { status: 200 });
    const deadLetter = new DeadLetterFile(join(dir, "dead.jsonl"));
    const result = await connector(srv.url, { maxRetryAfterMs: 60_000 }, deadLetter).deliver(emailMessage());
    expect(result.status).toBe("failed");
    expect(result.attempts).toBe(1);
    expect(result.error).toBeInstanceOf(DeliveryRateLimitedError);
    expect(result.error?.retryable).toBe(true);
    expect((result.error as DeliveryRateLimitedError).retryAfterMs).toBe(3_600_000);
    expect(sleeps).toEqual([]);
    expect(srv.requests).toHaveLength(1);
  });

  it("fails permanently on 400 without retrying or dead-lettering", async () => {
    const srv = await serve({ status: 400, body: "bad" }, { status: 200 });
    const deadPath = join(dir, "dead.jsonl");
    const result = await connector(srv.url, {}, new DeadLetterFile(deadPath)).deliver(emailMessage());
    expect(result.status).toBe("failed");
    expect(result.attempts).toBe(1);
    expect(result.error).toBeInstanceOf(PermanentDeliveryError);
    expect(result.error).toMatchObject({ retryable: false, code: "DELIVERY_REJECTED", httpStatus: 400, name: "PermanentDeliveryError" });
    expect(srv.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
    await expect(readFile(deadPath)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("honours Retry-After (seconds) on 503, and waits the cap exactly when asked for it", async () => {
    const srv = await serve(
      { status: 503, headers: { "retry-after": "3" } },
      { status: 429, headers: { "retry-after": "60" } },
      { status: 200 },
    );
    const result = await connector(srv.url, { maxRetryAfterMs: 60_000 }).deliver(emailMessage());
    expect(result).toEqual({ status: "delivered", attempts: 3 });
    expect(sleeps).toEqual([3000, 60_000]);
  });

  it("retries 408 like a 5xx", async () => {
    const srv = await serve({ status: 408 }, { status: 200 });
    expect(await connector(srv.url).deliver(emailMessage())).toEqual({ status: "delivered", attempts: 2 });
    expect(sleeps).toEqual([75]);
  });

  it.each([401, 403, 404, 409, 410, 422])("does not retry HTTP %i", async (status) => {
    const srv = await serve({ status }, { status: 200 });
    const result = await connector(srv.url).deliver(emailMessage());
    expect(result).toMatchObject({ status: "failed", attempts: 1, error: { retryable: false, httpStatus: status } });
    expect(srv.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it("endpoint down then back up: connection refused is retried until the endpoint listens again", async () => {
    const srv = await serve({ status: 200 });
    const url = srv.url;
    await srv.close();
    server = undefined;
    let up: TestServer | undefined;
    const port = Number(new URL(url).port);
    // On the second backoff, bring a receiver up on the same port.
    const c = createWebhookConnector(
      { url, secret, maxAttempts: 4, baseDelayMs: 10, maxDelayMs: 20 },
      {
        random: () => 0,
        sleep: async (ms) => {
          sleeps.push(ms);
          if (sleeps.length === 2) up = server = await startTestServer([{ status: 200 }], { port });
        },
      },
    );
    const result = await c.deliver(emailMessage());
    expect(result).toEqual({ status: "delivered", attempts: 3 });
    expect(up!.requests).toHaveLength(1);
    expect(sleeps).toEqual([5, 10]);
  });

  it("does not follow redirects", async () => {
    const srv = await serve({ status: 302, headers: { location: "http://127.0.0.1:1/elsewhere" } });
    const result = await connector(srv.url).deliver(emailMessage());
    expect(result).toMatchObject({ status: "failed", attempts: 1 });
    expect(result.error).toBeInstanceOf(PermanentDeliveryError);
  });

  it("dead-letters after maxAttempts failures and writes the message to the dead-letter file", async () => {
    const srv = await serve({ status: 503 });
    const deadPath = join(dir, "nested", "dead.jsonl");
    const clock = new ManualClock("2024-05-01T10:00:00Z");
    const deadLetter = new DeadLetterFile(deadPath, { clock });
    const c = createWebhookConnector(
      { url: srv.url, secret, maxAttempts: 3 },
      { sleep, deadLetter, closeDeadLetter: true, random: () => 0 },
    );
    const message = emailMessage();
    const result = await c.deliver(message);
    await c.close();

    expect(result.status).toBe("dead_lettered");
    expect(result.attempts).toBe(3);
    expect(result.error).toBeInstanceOf(DeliveryError);
    expect(srv.requests).toHaveLength(3);
    expect(sleeps).toEqual([250, 500]);
    const lines = await readJsonl<DeadLetterRecord>(deadPath);
    expect(lines).toEqual([
      {
        deadLetteredAt: "2024-05-01T10:00:00.000Z",
        attempts: 3,
        reason: { code: "DELIVERY_FAILED", message: "receiver answered HTTP 503", httpStatus: 503 },
        message,
      },
    ]);
  });

  it("without a dead-letter sink, exhausted retries come back failed and retryable", async () => {
    const srv = await serve({ status: 500 });
    const result = await connector(srv.url, { maxAttempts: 2 }).deliver(emailMessage());
    expect(result).toMatchObject({ status: "failed", attempts: 2 });
    expect(result.error?.retryable).toBe(true);
  });

  it("times out a slow receiver and retries", async () => {
    // The timeout leaves room for a loaded machine to answer the second request; the slow answer
    // would come long after it, so finishing well before shows the first attempt was abandoned.
    const srv = await serve({ status: 200, delayMs: 10_000 }, { status: 200 });
    const started = Date.now();
    const result = await connector(srv.url, { timeoutMs: 1_500 }).deliver(emailMessage());
    expect(result).toEqual({ status: "delivered", attempts: 2 });
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(srv.requests).toHaveLength(2);
  });

  it("dead-letters a receiver that always times out, recording the timeout", async () => {
    const srv = await serve({ status: 200, delayMs: 2000 });
    const deadPath = join(dir, "dead.jsonl");
    const result = await connector(srv.url, { timeoutMs: 50, maxAttempts: 2 }, new DeadLetterFile(deadPath)).deliver(emailMessage());
    expect(result.status).toBe("dead_lettered");
    expect(result.error).toBeInstanceOf(DeliveryTimeoutError);
    const [line] = await readJsonl<DeadLetterRecord>(deadPath);
    expect(line!.reason).toEqual({ code: "DELIVERY_TIMEOUT", message: "no response within 50 ms" });
  });

  it("retries network errors (connection refused)", async () => {
    const srv = await serve({ status: 200 });
    const url = srv.url;
    await srv.close();
    server = undefined;
    const result = await connector(url, { maxAttempts: 2 }).deliver(emailMessage());
    expect(result).toMatchObject({ status: "failed", attempts: 2 });
    expect(result.error).toBeInstanceOf(DeliveryError);
    expect(result.error?.message).toMatch(/network error: ECONNREFUSED/);
    expect(sleeps).toHaveLength(1);
  });

  it("rejects an invalid message without sending it", async () => {
    const srv = await serve({ status: 200 });
    const bad = { ...emailMessage(), content: { text: "sms content on an email" } } as never;
    await expect(connector(srv.url).deliver(bad)).rejects.toBeInstanceOf(InvalidOutboundMessageError);
    expect(srv.requests).toHaveLength(0);
  });

  it("close() interrupts a delivery in flight; deliver() afterwards throws", async () => {
    const srv = await serve({ status: 200, delayMs: 5000 });
    const c = createWebhookConnector({ url: srv.url, secret });
    const pending = c.deliver(emailMessage());
    await new Promise((r) => setTimeout(r, 50));
    await c.close();
    const result = await pending;
    expect(result.status).toBe("failed");
    expect(result.error).toMatchObject({ code: "DELIVERY_INTERRUPTED", retryable: true });
    await expect(c.deliver(emailMessage())).rejects.toBeInstanceOf(ConnectorClosedError);
  });

  it("refuses bad options", () => {
    expect(() => createWebhookConnector({ url: "ftp://x", secret })).toThrow(ConnectorConfigError);
    expect(() => createWebhookConnector({ url: "https://x.example", secret: "short" })).toThrow(/secret/);
  });
});
