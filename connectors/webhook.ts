import { setTimeout as sleepFor } from "node:timers/promises";
import { z } from "zod";
import { systemClock, type Clock } from "../core/clock.js";
import { parseOutboundMessage, type Connector, type DeliveryResult, type OutboundMessage } from "./connector.js";
import type { DeadLetterSink } from "./dead-letter-sink.js";
import {
  ConnectorClosedError,
  ConnectorConfigError,
  DeadLetterWriteError,
  DeliveryError,
  DeliveryInterruptedError,
  DeliveryRateLimitedError,
  DeliveryTimeoutError,
  PermanentDeliveryError,
  type DeliveryFailure,
} from "./delivery-errors.js";
import { isRetryableHttpStatus, parseRetryAfterMs, retryWait } from "./retry-backoff.js";
import { SIGNATURE_HEADER, signWebhookPayload } from "./webhook-signature.js";

export { DEFAULT_SIGNATURE_TOLERANCE_SEC, SIGNATURE_HEADER, signWebhookPayload, verifyWebhookSignature } from "./webhook-signature.js";

/**
 * Delivers each message as an HTTP POST of its JSON to one configured URL.
 *
 * Request: body = the message as parsed by `outboundMessageSchema` (JSON), with headers
 *   Content-Type: application/json; charset=utf-8
 *   Idempotency-Key: <dedupeKey>          same on every attempt; receivers must drop repeats
 *   X-Pulse-Signature: t=<unix>,v1=<hex>  see webhook-signature.ts; re-signed on every attempt
 *   X-Pulse-Message-Id: <messageId>
 *   X-Pulse-Attempt: <1-based attempt number>
 *
 * Response: any 2xx is delivered; a JSON body with a string `id` becomes `providerId`.
 * 408, 429, 5xx, network errors and timeouts are retried with exponential backoff and jitter, waiting
 * exactly Retry-After when the receiver sends one. Redirects and other 4xx fail at once. After
 * `maxAttempts` failed attempts the message goes to the dead-letter sink (status "dead_lettered"), or,
 * without a sink, comes back "failed" with a retryable error. A Retry-After longer than
 * `maxRetryAfterMs` ends the call as "failed" (retryable, `error.retryAfterMs` set) so the job queue
 * can wait instead of a worker.
 */

const httpUrl = z.string().refine((v) => {
  try {
    const { protocol } = new URL(v);
    return protocol === "https:" || protocol === "http:";
  } catch {
    return false;
  }
}, "must be a URL starting with https:// or http://");

const ms = (max: number) => z.number().int().min(0).max(max);

export const webhookOptionsSchema = z.object({
  name: z.string().min(1).max(64).default("webhook"),
  url: httpUrl,
  /** HMAC key shared with the receiver. */
  secret: z.string().min(16, "must be at least 16 characters"),
  /** Per attempt, from sending the request to reading the response. */
  timeoutMs: ms(300_000).min(1).default(10_000),
  maxAttempts: z.number().int().min(1).max(20).default(5),
  baseDelayMs: ms(60_000).default(500),
  maxDelayMs: ms(600_000).default(30_000),
  maxRetryAfterMs: ms(3_600_000).default(60_000),
  /** Extra static headers, such as a receiver's API key. Pulse's own headers win on conflict. */
  headers: z.record(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, "not a header name"), z.string()).default({}),
});
export type WebhookOptions = z.infer<typeof webhookOptionsSchema>;
export type WebhookOptionsInput = z.input<typeof webhookOptionsSchema>;

/** Waits `ms`; rejects if `signal` aborts first. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface WebhookDeps {
  /** Where messages go after `maxAttempts` failures. */
  deadLetter?: DeadLetterSink;
  /** Whether `close()` also closes `deadLetter` (true when the connector owns it). Default false. */
  closeDeadLetter?: boolean;
  /** Wall clock for signature timestamps and Retry-After dates. Not a simulated clock: receivers check it. */
  clock?: Clock;
  sleep?: Sleep;
  /** Jitter source, [0, 1). */
  random?: () => number;
}

const defaultSleep: Sleep = (delayMs, signal) => sleepFor(delayMs, undefined, { signal });

type AttemptOutcome = { ok: true; providerId?: string } | { ok: false; error: DeliveryFailure };

export class WebhookConnector implements Connector {
  readonly name: string;
  readonly #options: WebhookOptions;
  readonly #deadLetter: DeadLetterSink | undefined;
  readonly #closeDeadLetter: boolean;
  readonly #clock: Clock;
  readonly #sleep: Sleep;
  readonly #random: () => number;
  readonly #closing = new AbortController();
  readonly #inFlight = new Set<Promise<unknown>>();

  constructor(options: WebhookOptionsInput, deps: WebhookDeps = {}) {
    const parsed = webhookOptionsSchema.safeParse(options);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new ConnectorConfigError(`webhook ${issue.path.join(".") || "options"}: ${issue.message}`, { cause: parsed.error });
    }
    this.#options = parsed.data;
    this.name = parsed.data.name;
    this.#deadLetter = deps.deadLetter;
    this.#closeDeadLetter = deps.closeDeadLetter ?? false;
    this.#clock = deps.clock ?? systemClock;
    this.#sleep = deps.sleep ?? defaultSleep;
    this.#random = deps.random ?? Math.random;
  }

  deliver(message: OutboundMessage): Promise<DeliveryResult> {
    if (this.#closing.signal.aborted) return Promise.reject(new ConnectorClosedError(this.name));
    let parsed: OutboundMessage;
    try {
      parsed = parseOutboundMessage(message);
    } catch (err) {
      return Promise.reject(err);
    }
    const run = this.#deliver(parsed);
    this.#inFlight.add(run);
    void run.finally(() => this.#inFlight.delete(run)).catch(() => undefined);
    return run;
  }

  /** Stops retries and aborts requests in progress (those calls return "failed", retryable). */
  async close(): Promise<void> {
    this.#closing.abort();
    await Promise.allSettled([...this.#inFlight]);
    if (this.#closeDeadLetter) await this.#deadLetter?.close?.();
  }

  async #deliver(message: OutboundMessage): Promise<DeliveryResult> {
    const body = JSON.stringify(message);
    const { maxAttempts } = this.#options;
    let lastError: DeliveryFailure | undefined;
    let attempts = 0;

    while (attempts < maxAttempts) {
      attempts += 1;
      const outcome = await this.#attempt(message, body, attempts);
      if (outcome.ok)
        return { status: "delivered", attempts, ...(outcome.providerId === undefined ? {} : { providerId: outcome.providerId }) };
      lastError = outcome.error;
      if (!lastError.retryable || this.#closing.signal.aborted) return { status: "failed", attempts, error: lastError };
      if (attempts >= maxAttempts) break;

      const retryAfterMs = lastError instanceof DeliveryError ? lastError.retryAfterMs : undefined;
      const wait = retryWait(attempts, retryAfterMs, this.#options, this.#random);
      if (wait.kind === "hand_back") return { status: "failed", attempts, error: lastError };
      try {
        await this.#sleep(wait.ms, this.#closing.signal);
      } catch {
        return { status: "failed", attempts, error: new DeliveryInterruptedError(this.name) };
      }
      if (this.#closing.signal.aborted) return { status: "failed", attempts, error: new DeliveryInterruptedError(this.name) };
    }

    const error = lastError!;
    if (this.#deadLetter === undefined) return { status: "failed", attempts, error };
    try {
      await this.#deadLetter.put(
        message,
        { code: error.code, message: error.message, ...(error.httpStatus === undefined ? {} : { httpStatus: error.httpStatus }) },
        attempts,
      );
    } catch (err) {
      throw new DeadLetterWriteError(`could not dead-letter message ${message.messageId} after ${attempts} attempts`, { cause: err });
    }
    return { status: "dead_lettered", attempts, error };
  }

  async #attempt(message: OutboundMessage, body: string, attempt: number): Promise<AttemptOutcome> {
    const { url, timeoutMs, headers: extraHeaders } = this.#options;
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), timeoutMs);
    const signal = AbortSignal.any([timeout.signal, this.#closing.signal]);
    try {
      const now = this.#clock.now();
      const headers = new Headers(extraHeaders);
      headers.set("content-type", "application/json; charset=utf-8");
      headers.set("user-agent", "pulse-webhook-connector");
      headers.set("idempotency-key", message.dedupeKey);
      headers.set("x-pulse-message-id", message.messageId);
      headers.set("x-pulse-attempt", String(attempt));
      headers.set(SIGNATURE_HEADER, signWebhookPayload(this.#options.secret, body, Math.floor(now.getTime() / 1000)));

      const res = await fetch(url, { method: "POST", headers, body, signal, redirect: "manual" });
      if (res.status >= 200 && res.status < 300) return { ok: true, providerId: await readProviderId(res) };
      await res.body?.cancel().catch(() => undefined);

      const retryAfterMs = parseRetryAfterMs(res.headers.get("retry-after"), this.#clock.now());
      if (res.status === 429) return { ok: false, error: new DeliveryRateLimitedError({ retryAfterMs }) };
      if (isRetryableHttpStatus(res.status)) {
        return { ok: false, error: new DeliveryError(`receiver answered HTTP ${res.status}`, { httpStatus: res.status, retryAfterMs }) };
      }
      const why = res.status >= 300 && res.status < 400 ? "redirects are not followed; configure the final URL" : "message refused";
      return { ok: false, error: new PermanentDeliveryError(`receiver answered HTTP ${res.status}: ${why}`, { httpStatus: res.status }) };
    } catch (err) {
      if (timeout.signal.aborted) return { ok: false, error: new DeliveryTimeoutError(timeoutMs) };
      if (this.#closing.signal.aborted) return { ok: false, error: new DeliveryInterruptedError(this.name) };
      return { ok: false, error: new DeliveryError(`network error: ${describeNetworkError(err)}`, { cause: err }) };
    } finally {
      clearTimeout(timer);
    }
  }
}

export function createWebhookConnector(options: WebhookOptionsInput, deps: WebhookDeps = {}): WebhookConnector {
  return new WebhookConnector(options, deps);
}

/** The receiver's message id from a JSON body `{ "id": "..." }`; a 2xx stays delivered whatever the body. */
async function readProviderId(res: Response): Promise<string | undefined> {
  try {
    if (!(res.headers.get("content-type") ?? "").includes("json")) {
      await res.body?.cancel();
      return undefined;
    }
    const json: unknown = await res.json();
    if (json !== null && typeof json === "object" && "id" in json) {
      const id = (json as { id: unknown }).id;
      if ((typeof id === "string" && id.length > 0 && id.length <= 256) || typeof id === "number") return String(id);
    }
  } catch {
    // A body we cannot read does not undo the 2xx.
  }
  return undefined;
}

/** undici wraps the useful part ("ECONNREFUSED", "other side closed") in `cause`. */
function describeNetworkError(err: unknown): string {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === "string" ? `${code} ${cause.message}` : cause.message;
  }
  return String(cause);
}
