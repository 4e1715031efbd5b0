import type { OutboundMessage } from "./connector.js";

/** Why a message was dead-lettered: the last failure, as plain data. */
export interface DeadLetterReason {
  code: string;
  message: string;
  httpStatus?: number;
}

/**
 * Where messages go once a connector has given up on them, for inspection and replay.
 * `put` resolves once the message is stored; it rejects if it could not be.
 */
export interface DeadLetterSink {
  put(message: OutboundMessage, reason: DeadLetterReason, attempts: number): Promise<void>;
  close?(): Promise<void>;
}
