import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { emailMessage } from "./connector-fixtures.js";
import { connectorConfigSchema, createConnector } from "./create-connector.js";
import { ConnectorConfigError } from "./delivery-errors.js";
import { FileOutboxConnector } from "./file-outbox.js";
import { WebhookConnector } from "./webhook.js";
import { startTestServer, type TestServer } from "./webhook-test-server.js";

let dir: string;
let server: TestServer | undefined;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "pulse-factory-"));
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  await rm(dir, { recursive: true, force: true });
});

describe("createConnector", () => {
  it("builds a simulator connector", async () => {
    const sim = createConnector({ kind: "simulator" });
    expect(sim.name).toBe("simulator");
    const m = emailMessage();
    await sim.deliver(m);
    expect(sim.drain()).toEqual([m]);
  });

  it("builds a file outbox", async () => {
    const path = join(dir, "outbox.jsonl");
    const outbox = createConnector({ kind: "file", path, name: "esp-drop" });
    expect(outbox).toBeInstanceOf(FileOutboxConnector);
    expect(outbox.name).toBe("esp-drop");
    await outbox.deliver(emailMessage());
    await outbox.close();
    expect((await readFile(path, "utf8")).trim().split("\n")).toHaveLength(1);
  });

  it("builds a webhook connector whose dead-letter file it owns", async () => {
    server = await startTestServer([{ status: 500 }]);
    const deadLetterPath = join(dir, "dead", "webhook.jsonl");
    const sleeps: number[] = [];
    const c = createConnector(
      { kind: "webhook", url: server.url, secret: "0123456789abcdef", maxAttempts: 2, deadLetterPath },
      { sleep: async (ms) => void sleeps.push(ms) },
    );
    expect(c).toBeInstanceOf(WebhookConnector);
    const result = await c.deliver(emailMessage());
    await c.close();
    expect(result).toMatchObject({ status: "dead_lettered", attempts: 2 });
    expect(sleeps).toHaveLength(1);
    expect((await readFile(deadLetterPath, "utf8")).trim().split("\n")).toHaveLength(1);
  });

  it("applies defaults and rejects bad configuration with ConnectorConfigError", () => {
    const parsed = connectorConfigSchema.parse({ kind: "webhook", url: "https://hooks.example/pulse", secret: "0123456789abcdef" });
    expect(parsed).toMatchObject({ timeoutMs: 10_000, maxAttempts: 5, baseDelayMs: 500, maxDelayMs: 30_000, name: "webhook" });
    expect(() => createConnector({ kind: "carrier-pigeon" })).toThrow(ConnectorConfigError);
    expect(() => createConnector({ kind: "file" })).toThrow(/path/);
    expect(() => createConnector({ kind: "webhook", url: "https://x.example", secret: "0123456789abcdef", maxAttempts: 0 })).toThrow(
      /maxAttempts/,
    );
  });
});
