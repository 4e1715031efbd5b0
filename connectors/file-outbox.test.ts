import { mkdtemp, readFile, rm, writeFile, appendFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { emailMessage, smsMessage } from "./connector-fixtures.js";
import type { OutboundMessage } from "./connector.js";
import { ConnectorClosedError, PermanentDeliveryError } from "./delivery-errors.js";
import { createFileOutbox, readDedupeKeys } from "./file-outbox.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "pulse-outbox-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function lines(path: string): Promise<string[]> {
  return (await readFile(path, "utf8")).split("\n").filter((l) => l !== "");
}

describe("file outbox", () => {
  it("appends one JSON line per message, creating the directory", async () => {
    const path = join(dir, "out", "cycle-1", "outbox.jsonl");
    const outbox = createFileOutbox({ path });
    const messages = [emailMessage(), smsMessage(), emailMessage()];
    for (const m of messages) expect(await outbox.deliver(m)).toEqual({ status: "delivered", attempts: 1 });
    await outbox.close();
    const written = (await lines(path)).map((l) => JSON.parse(l) as OutboundMessage);
    expect(written).toEqual(messages);
  });

  it("does not append a dedupe key twice, in one run or after a restart", async () => {
    const path = join(dir, "outbox.jsonl");
    const a = emailMessage();
    const b = smsMessage();
    const first = createFileOutbox({ path, fsync: true });
    await first.deliver(a);
    expect(await first.deliver({ ...a, messageId: "other-id" })).toEqual({ status: "delivered", attempts: 0 });
    await first.close();

    const second = createFileOutbox({ path });
    expect(await second.deliver(a)).toEqual({ status: "delivered", attempts: 0 });
    expect(await second.deliver(b)).toEqual({ status: "delivered", attempts: 1 });
    await second.close();

    const keys = (await lines(path)).map((l) => (JSON.parse(l) as OutboundMessage).dedupeKey);
    expect(keys).toEqual([a.dedupeKey, b.dedupeKey]);
  });

  it("keeps concurrent deliveries of the same key to one line", async () => {
    const path = join(dir, "outbox.jsonl");
    const outbox = createFileOutbox({ path });
    const m = emailMessage();
    const others = Array.from({ length: 20 }, () => smsMessage());
    const results = await Promise.all([outbox.deliver(m), outbox.deliver(m), ...others.map((o) => outbox.deliver(o)), outbox.deliver(m)]);
    await outbox.close();
    expect(results.filter((r) => r.attempts === 1)).toHaveLength(21);
    expect(await lines(path)).toHaveLength(21);
  });

  it("delivers many in one write: the keys already in the file or earlier in the batch are not appended again", async () => {
    const path = join(dir, "outbox.jsonl");
    const [a, b, c] = [emailMessage(), smsMessage(), emailMessage()];
    const first = createFileOutbox({ path });
    await first.deliver(a);
    expect(await first.deliverMany([a, b, { ...b, messageId: "again" }, c])).toEqual([
      { status: "delivered", attempts: 0 },
      { status: "delivered", attempts: 1 },
      { status: "delivered", attempts: 0 },
      { status: "delivered", attempts: 1 },
    ]);
    expect(await first.deliverMany([c])).toEqual([{ status: "delivered", attempts: 0 }]);
    await first.close();
    // After a restart the keys come from the file.
    const second = createFileOutbox({ path });
    expect((await second.deliverMany([a, b, c])).map((r) => r.attempts)).toEqual([0, 0, 0]);
    await second.close();
    expect((await lines(path)).map((l) => JSON.parse(l) as OutboundMessage)).toEqual([a, b, c]);
  });

  it("fails every message of a batch when the outbox cannot be used", async () => {
    const path = join(dir, "is-a-dir");
    await mkdir(path);
    const outbox = createFileOutbox({ path });
    const results = await outbox.deliverMany([emailMessage(), smsMessage()]);
    expect(results.map((r) => r.status)).toEqual(["failed", "failed"]);
    expect(results.every((r) => r.error instanceof PermanentDeliveryError)).toBe(true);
    await outbox.close();
  });

  it("survives a torn last line: skips it when reading keys and starts the next write on a new line", async () => {
    const path = join(dir, "outbox.jsonl");
    const a = emailMessage();
    const torn = smsMessage();
    await writeFile(path, `${JSON.stringify(a)}\n${JSON.stringify(torn).slice(0, 40)}`);
    expect(await readDedupeKeys(path)).toEqual(new Set([a.dedupeKey]));

    const outbox = createFileOutbox({ path });
    expect(await outbox.deliver(a)).toMatchObject({ attempts: 0 });
    expect(await outbox.deliver(torn)).toMatchObject({ attempts: 1 });
    await outbox.close();
    const all = await lines(path);
    expect(all).toHaveLength(3);
    expect(JSON.parse(all[2]!)).toEqual(torn);
    expect(await readDedupeKeys(path)).toEqual(new Set([a.dedupeKey, torn.dedupeKey]));
  });

  it("reports a path that is a directory as a permanent failure", async () => {
    const path = join(dir, "is-a-dir");
    await mkdir(path);
    const outbox = createFileOutbox({ path });
    const result = await outbox.deliver(emailMessage());
    expect(result.status).toBe("failed");
    expect(result.error).toBeInstanceOf(PermanentDeliveryError);
    expect(result.error?.message).toMatch(/EISDIR/);
    await outbox.close();
  });

  it("throws after close", async () => {
    const outbox = createFileOutbox({ path: join(dir, "o.jsonl") });
    await outbox.close();
    await expect(outbox.deliver(emailMessage())).rejects.toBeInstanceOf(ConnectorClosedError);
  });

  it("reads no keys from a missing file, and ignores blank and foreign lines", async () => {
    expect(await readDedupeKeys(join(dir, "missing.jsonl"))).toEqual(new Set());
    const path = join(dir, "mixed.jsonl");
    await appendFile(path, `\n{"dedupeKey":"k1"}\nnot json dedupeKey\n{"dedupeKey":5}\n\r\n{"dedupeKey":"k2"}\r\n`);
    expect(await readDedupeKeys(path)).toEqual(new Set(["k1", "k2"]));
  });
});
