import { PulseError } from "../core/errors.js";

/**
 * Errors of channel delivery. A connector returns the delivery failures (`DeliveryError` and its
 * subclasses, `PermanentDeliveryError`) inside a `DeliveryResult`; it throws only when it cannot give
 * an honest result (invalid message, closed connector, dead-letter sink down).
 *
 * `retryable` steers the job processor: true ⇒ let BullMQ retry the job later (the dedupe key makes
 * that safe); false ⇒ throw `UnrecoverableError`.
 *
 * They live here rather than in core/errors.ts because only connectors raise them; move them there if
 * a processor needs `instanceof` without importing connectors/.
 */

interface DeliveryErrorOptions {
  cause?: unknown;
  /** The HTTP status that caused the failure, if any. */
  httpStatus?: number;
  /** How long the receiver asked us to wait (Retry-After), in milliseconds. */
  retryAfterMs?: number;
}

/** A failure a later attempt may fix: 5xx, 429, network error, timeout, a full disk. */
export class DeliveryError extends PulseError {
  readonly httpStatus: number | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: DeliveryErrorOptions = {}, code = "DELIVERY_FAILED") {
    super(code, message, { cause: options.cause, retryable: true });
    this.httpStatus = options.httpStatus;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** The receiver did not answer within the connector's timeout. It may still have accepted the message. */
export class DeliveryTimeoutError extends DeliveryError {
  constructor(timeoutMs: number) {
    super(`no response within ${timeoutMs} ms`, {}, "DELIVERY_TIMEOUT");
  }
}

/** The connector was closed while this message was in flight; it was not dead-lettered. */
export class DeliveryInterruptedError extends DeliveryError {
  constructor(connector: string) {
    super(`connector ${connector} closed during delivery`, {}, "DELIVERY_INTERRUPTED");
  }
}

/** The receiver answered 429: back off, honouring `retryAfterMs` when present. */
export class DeliveryRateLimitedError extends DeliveryError {
  constructor(options: { retryAfterMs?: number } = {}) {
    super("rate limited by receiver (HTTP 429)", { httpStatus: 429, retryAfterMs: options.retryAfterMs }, "DELIVERY_RATE_LIMITED");
  }
}

/** The receiver refused the message for good (4xx other than 408/429, or a redirect); retrying cannot help. */
export class PermanentDeliveryError extends PulseError {
  readonly httpStatus: number | undefined;

  constructor(message: string, options: { cause?: unknown; httpStatus?: number } = {}) {
    super("DELIVERY_REJECTED", message, { cause: options.cause, retryable: false });
    this.httpStatus = options.httpStatus;
  }
}

/** Any failure a `DeliveryResult` can carry. */
export type DeliveryFailure = DeliveryError | PermanentDeliveryError;

/** The message handed to `deliver()` does not pass `outboundMessageSchema`. */
export class InvalidOutboundMessageError extends PulseError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super("OUTBOUND_MESSAGE_INVALID", message, options);
  }
}

/** `deliver()` was called after `close()`. */
export class ConnectorClosedError extends PulseError {
  constructor(connector: string) {
    super("CONNECTOR_CLOSED", `connector ${connector} is closed`);
  }
}

/** A connector's configuration does not pass its schema. */
export class ConnectorConfigError extends PulseError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super("CONNECTOR_CONFIG_INVALID", message, options);
  }
}

/**
 * Retries are exhausted and the dead-letter sink could not store the message either. Retryable: the
 * message is neither delivered nor parked, so the job must run again.
 */
export class DeadLetterWriteError extends PulseError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super("DEAD_LETTER_WRITE_FAILED", message, { cause: options.cause, retryable: true });
  }
}
