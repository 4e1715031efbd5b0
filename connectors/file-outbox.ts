import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { z } from "zod";
import { parseOutboundMessage, type Connector, type DeliveryResult, type OutboundMessage } from "./connector.js";
import {
  ConnectorClosedError,
  ConnectorConfigError,
  DeliveryError,
  PermanentDeliveryError,
  type DeliveryFailure,
} from "./delivery-errors.js";
import { JsonlAppendFile } from "./jsonl-append-file.js";
import { SerialQueue } from "./serial-queue.js";

/**
 * A connector that appends each message as one JSON line (the message exactly as parsed by
 * `outboundMessageSchema`) to a JSONL file, for an ESP or a batch job to pick up. The directory is
 * created if needed.
 *
 * Idempotent per dedupeKey: before the first write it reads the dedupe keys already in the file, and it
 * remembers every key it writes, so delivering a message again, in this run or after a restart, does not
 * append a second line (the call returns "delivered" with attempts 0).
 *
 * Memory: one Set entry per distinct key in the file, roughly 50 bytes plus twice the key length
 * (~150 bytes for a 50-character key, ~150 MB per million messages). Point each cycle at its own file
 * (e.g. outbox/<cycleId>.jsonl) to keep it bounded. Opening reads the whole file once, streaming.
 *
 * Limits: one writer per file (two processes do not see each other's keys). If a write fails part-way
 * (disk full) the key is not remembered, so a retry may leave a partial line followed by a full one:
 * readers skip lines that are not JSON and should still dedupe by `dedupeKey`.
 * With `fsync`, each line is flushed to disk before `deliver` resolves (slower, survives power loss).
 */

export const fileOutboxOptionsSchema = z.object({
  name: z.string().min(1).max(64).default("file"),
  path: z.string().min(1),
  fsync: z.boolean().default(false),
});
export type FileOutboxOptions = z.infer<typeof fileOutboxOptionsSchema>;
export type FileOutboxOptionsInput = z.input<typeof fileOutboxOptionsSchema>;

// File errors no retry can fix: the path or its permissions are wrong.
const PERMANENT_FS_CODES = new Set(["EACCES", "EPERM", "EISDIR", "ENOTDIR", "EROFS", "ENAMETOOLONG", "EINVAL", "ELOOP"]);

export class FileOutboxConnector implements Connector {
  readonly name: string;
  readonly path: string;
  readonly #file: JsonlAppendFile;
  readonly #queue = new SerialQueue();
  #keys: Set<string> | undefined;
  #closed = false;

  constructor(options: FileOutboxOptionsInput) {
    const parsed = fileOutboxOptionsSchema.safeParse(options);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new ConnectorConfigError(`file outbox ${issue.path.join(".") || "options"}: ${issue.message}`, { cause: parsed.error });
    }
    this.name = parsed.data.name;
    this.path = parsed.data.path;
    this.#file = new JsonlAppendFile(parsed.data.path, { fsync: parsed.data.fsync });
  }

  /** One message: the one-message case of deliverMany (at most once per dedupe key in the file). */
  deliver(message: OutboundMessage): Promise<DeliveryResult> {
    return this.deliverMany([message]).then((results) => results[0]!);
  }

  /**
   * Delivers many messages, each at most once per dedupe key, in one write: the lines of those whose key
   * is neither in the file nor earlier in the batch are appended together. If that write fails, each
   * of them fails (none is remembered, so a retry writes them again; see the limits above).
   */
  deliverMany(messages: readonly OutboundMessage[]): Promise<DeliveryResult[]> {
    if (this.#closed) return Promise.reject(new ConnectorClosedError(this.name));
    let parsed: OutboundMessage[];
    try {
      parsed = messages.map((m) => parseOutboundMessage(m));
    } catch (err) {
      return Promise.reject(err);
    }
    // Serialized so a check and its write never interleave with another batch's.
    return this.#queue.run(async (): Promise<DeliveryResult[]> => {
      let keys: Set<string>;
      try {
        keys = await this.#loadKeys();
      } catch (err) {
        const error = fileError(`cannot read outbox ${this.path}`, err);
        return parsed.map(() => ({ status: "failed", attempts: 1, error }));
      }
      const known = parsed.map((m) => keys.has(m.dedupeKey));
      const fresh = new Set<string>();
      const lines: OutboundMessage[] = [];
      const results: DeliveryResult[] = parsed.map((m, i) => {
        if (known[i] || fresh.has(m.dedupeKey)) return { status: "delivered", attempts: 0 };
        fresh.add(m.dedupeKey);
        lines.push(m);
        return { status: "delivered", attempts: 1 };
      });
      try {
        await this.#file.appendMany(lines);
      } catch (err) {
        const error = fileError(`cannot append to outbox ${this.path}`, err);
        return results.map((r, i) => (known[i] ? r : { status: "failed", attempts: 1, error }));
      }
      for (const key of fresh) keys.add(key);
      return results;
    });
  }

  /** Waits for pending writes, then closes the file. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#queue.run(() => this.#file.close());
  }

  async #loadKeys(): Promise<Set<string>> {
    if (this.#keys) return this.#keys;
    this.#keys = await readDedupeKeys(this.path);
    return this.#keys;
  }
}

export function createFileOutbox(options: FileOutboxOptionsInput): FileOutboxConnector {
  return new FileOutboxConnector(options);
}

/** The dedupe keys of every readable line of a JSONL outbox; an absent file has none. */
export async function readDedupeKeys(path: string): Promise<Set<string>> {
  const keys = new Set<string>();
  const stream = createReadStream(path, { encoding: "utf8" });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  try {
    for await (const line of lines) {
      if (!line.includes("dedupeKey")) continue;
      try {
        const row: unknown = JSON.parse(line);
        if (row !== null && typeof row === "object" && "dedupeKey" in row && typeof row.dedupeKey === "string") keys.add(row.dedupeKey);
      } catch {
        // A line cut short by a crash: its message was never fully written, so it may be written again.
      }
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return keys;
    throw err;
  } finally {
    lines.close();
    stream.destroy();
  }
  return keys;
}

function fileError(message: string, err: unknown): DeliveryFailure {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const detail = `${message}${typeof code === "string" ? ` (${code})` : ""}`;
  return typeof code === "string" && PERMANENT_FS_CODES.has(code)
    ? new PermanentDeliveryError(detail, { cause: err })
    : new DeliveryError(detail, { cause: err });
}
