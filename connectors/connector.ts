import { z } from "zod";
import { idField } from "../ingest/formats.js";
import { InvalidOutboundMessageError, type DeliveryFailure } from "./delivery-errors.js";

/**
 * The one interface every channel connector implements, and the message it delivers.
 * A message is fully rendered: connectors do no templating and make no decisions.
 */

const printableKey = z
  .string()
  .min(1, "missing")
  .max(255, "longer than 255 characters")
  // Sent as the Idempotency-Key header, so it must be a valid header value.
  .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces");

// Never valid as a link target in a message, whatever the channel.
const UNSAFE_PROTOCOLS = new Set(["javascript:", "data:", "vbscript:", "file:", "blob:"]);

/** A URL; with `protocols`, only those; without, any scheme (app deep links) except unsafe ones. */
const urlField = (protocols?: readonly string[]) =>
  z
    .string()
    .max(2048)
    .refine(
      (v) => {
        try {
          const url = new URL(v);
          return protocols === undefined ? !UNSAFE_PROTOCOLS.has(url.protocol) : protocols.includes(url.protocol);
        } catch {
          return false;
        }
      },
      protocols === undefined ? "not a safe URL" : `must be a URL starting with ${protocols.map((p) => `${p}//`).join(" or ")}`,
    );

const text = (max: number) => z.string().min(1, "missing").max(max, `longer than ${max} characters`);

/** A call to action: the button label and where it leads (a web URL or an app deep link). */
export const ctaSchema = z.object({ label: text(64), url: urlField() });
export type Cta = z.infer<typeof ctaSchema>;

export const emailContentSchema = z.object({
  subject: text(255),
  preheader: z.string().max(255),
  body: text(100_000),
  cta: ctaSchema.optional(),
  unsubscribeUrl: urlField(["https:", "http:", "mailto:"]),
});
export const smsContentSchema = z.object({ text: text(1600) });
export const pushContentSchema = z.object({ title: text(200), body: text(1000) });
export const inAppContentSchema = z.object({ title: text(200), body: text(5000), cta: ctaSchema });

const messageBase = {
  messageId: idField,
  /** Derived from cycle, campaign, customer and channel; the same send always has the same key. */
  dedupeKey: printableKey,
  cycleId: idField,
  campaignId: idField,
  /** Pseudonymous; the receiver resolves it to an address. */
  customerId: idField,
  sentAt: z.iso.datetime({ offset: true }),
};

export const outboundMessageSchema = z.discriminatedUnion("channel", [
  z.object({ ...messageBase, channel: z.literal("email"), content: emailContentSchema }),
  z.object({ ...messageBase, channel: z.literal("sms"), content: smsContentSchema }),
  z.object({ ...messageBase, channel: z.literal("push"), content: pushContentSchema }),
  z.object({ ...messageBase, channel: z.literal("in_app"), content: inAppContentSchema }),
]);
export type OutboundMessage = z.infer<typeof outboundMessageSchema>;
export type OutboundMessageInput = z.input<typeof outboundMessageSchema>;

export const DELIVERY_STATUSES = ["delivered", "failed", "dead_lettered"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface DeliveryResult {
  /**
   * delivered: the channel accepted the message (or had already accepted this dedupe key).
   * failed: not delivered and not parked; `error.retryable` says whether a later job retry can help.
   * dead_lettered: retries exhausted; the message is in the dead-letter sink.
   */
  status: DeliveryStatus;
  /** Attempts made by this call; 0 when the dedupe key was already delivered. */
  attempts: number;
  /** The receiver's id for the message, when it gives one. */
  providerId?: string;
  error?: DeliveryFailure;
}

export interface Connector {
  readonly name: string;
  /**
   * Delivers one message. Delivery failures are returned, not thrown. Throws
   * InvalidOutboundMessageError, ConnectorClosedError, or DeadLetterWriteError.
   */
  deliver(message: OutboundMessage): Promise<DeliveryResult>;
  /**
   * Delivers many messages at once, one result each in the same order, with the same guarantees as
   * `deliver` message by message (idempotent per dedupeKey). Optional: a connector that has it can
   * do one write for the lot (the file outbox appends them in one write).
   */
  deliverMany?(messages: readonly OutboundMessage[]): Promise<DeliveryResult[]>;
  /** Releases files and sockets; waits for deliveries in progress to settle. */
  close?(): Promise<void>;
}

/** Validates a message at the connector edge (it may come from job data). */
export function parseOutboundMessage(message: unknown): OutboundMessage {
  const result = outboundMessageSchema.safeParse(message);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const where = issue.path.length > 0 ? issue.path.join(".") : "message";
    throw new InvalidOutboundMessageError(`${where}: ${issue.message}`, { cause: result.error });
  }
  return result.data;
}
