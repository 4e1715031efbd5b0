import { systemClock, type Clock } from "../core/clock.js";
import type { OutboundMessage } from "./connector.js";
import type { DeadLetterReason, DeadLetterSink } from "./dead-letter-sink.js";
import { JsonlAppendFile } from "./jsonl-append-file.js";

/** One line of a dead-letter file. `message` passes `outboundMessageSchema`, so it can be replayed as is. */
export interface DeadLetterRecord {
  deadLetteredAt: string;
  attempts: number;
  reason: DeadLetterReason;
  message: OutboundMessage;
}

/**
 * A dead-letter sink that appends one JSON line per message (`DeadLetterRecord`) to a file, creating
 * its directory if needed. The same message dead-lettered twice gives two lines: each is an incident.
 */
export class DeadLetterFile implements DeadLetterSink {
  readonly #file: JsonlAppendFile;
  readonly #clock: Clock;

  constructor(path: string, options: { fsync?: boolean; clock?: Clock } = {}) {
    this.#file = new JsonlAppendFile(path, { fsync: options.fsync });
    this.#clock = options.clock ?? systemClock;
  }

  get path(): string {
    return this.#file.path;
  }

  async put(message: OutboundMessage, reason: DeadLetterReason, attempts: number): Promise<void> {
    const record: DeadLetterRecord = { deadLetteredAt: this.#clock.now().toISOString(), attempts, reason, message };
    await this.#file.append(record);
  }

  close(): Promise<void> {
    return this.#file.close();
  }
}
