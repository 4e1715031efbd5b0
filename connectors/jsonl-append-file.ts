import { mkdir, open, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";
import { SerialQueue } from "./serial-queue.js";

/**
 * One JSONL file opened for appending: creates its directory, writes whole lines one at a time,
 * optionally fsyncs each write. One writer per file: two processes appending to the same file
 * can interleave lines.
 *
 * A line cut short by a crash or a failed write is left as it is; the next write starts on a new line,
 * so only that line is unreadable. Readers skip lines that are not JSON.
 */
export class JsonlAppendFile {
  readonly path: string;
  readonly #fsync: boolean;
  readonly #queue = new SerialQueue();
  #handle: Promise<FileHandle> | undefined;
  #needsNewline = false;
  #closed = false;

  constructor(path: string, options: { fsync?: boolean } = {}) {
    this.path = path;
    this.#fsync = options.fsync ?? false;
  }

  /** Appends one value as one JSON line; resolves once written (and synced, with fsync). */
  append(value: unknown): Promise<void> {
    return this.#write(`${JSON.stringify(value)}\n`);
  }

  #write(line: string): Promise<void> {
    return this.#queue.run(async () => {
      if (this.#closed) throw new Error(`${this.path} is closed`);
      const handle = await this.#open();
      try {
        await handle.appendFile(this.#needsNewline ? `\n${line}` : line, "utf8");
        this.#needsNewline = false;
        if (this.#fsync) await handle.datasync();
      } catch (err) {
        // Part of the line may be on disk; never glue the next line onto it.
        this.#needsNewline = true;
        throw err;
      }
    });
  }

  /** Appends many values, one JSON line each, in one write; resolves once written (and synced, with fsync). */
  appendMany(values: readonly unknown[]): Promise<void> {
    if (values.length === 0) return Promise.resolve();
    const lines = values.map((v) => `${JSON.stringify(v)}\n`).join("");
    return this.#write(lines);
  }

  async close(): Promise<void> {
    await this.#queue.run(async () => {
      this.#closed = true;
      const handle = this.#handle;
      this.#handle = undefined;
      if (handle) await (await handle.catch(() => undefined))?.close();
    });
  }

  #open(): Promise<FileHandle> {
    this.#handle ??= this.#doOpen().catch((err: unknown) => {
      this.#handle = undefined;
      throw err;
    });
    return this.#handle;
  }

  async #doOpen(): Promise<FileHandle> {
    const dir = dirname(this.path);
    await mkdir(dir, { recursive: true });
    const handle = await open(this.path, "a+");
    try {
      const { size } = await handle.stat();
      if (size > 0) {
        const last = Buffer.alloc(1);
        await handle.read(last, 0, 1, size - 1);
        this.#needsNewline = last[0] !== 0x0a;
      } else if (this.#fsync) {
        // A new file's directory entry is durable only once the directory is synced.
        const dirHandle = await open(dir, "r");
        try {
          await dirHandle.sync();
        } finally {
          await dirHandle.close();
        }
      }
      return handle;
    } catch (err) {
      await handle.close();
      throw err;
    }
  }
}
