import { z } from "zod";
import { SENDING_STRATEGIES, STRATEGIES, type Strategy } from "../core/domain.js";
import { CHANNELS, idField, timestampField } from "../ingest/formats.js";

/** What Pulse can decide for a customer. `cooldown` and `suppress` send nothing. */
export { SENDING_STRATEGIES, STRATEGIES, type Strategy };

/** Offer depths the simulator's retailer uses; any depth in [0, 0.9] is accepted. */
export const OFFER_DEPTHS = [0, 0.1, 0.15, 0.2, 0.3] as const;

/**
 * A message changes the purchase probability over this many days after it is sent, and a purchase
 * in that window after opening (clicking, for SMS) is attributed to it as a conversion.
 */
export const RESPONSE_WINDOW_DAYS = 7;

export function isSendingStrategy(s: Strategy): boolean {
  return s !== "cooldown" && s !== "suppress";
}

/** A message Pulse asks the simulated world to deliver. */
export const simMessageSchema = z.object({
  messageId: idField,
  customerId: idField,
  channel: z.enum(CHANNELS),
  strategy: z.enum(STRATEGIES),
  offerDepth: z.number().min(0).max(0.9).default(0),
  sentAt: timestampField,
  campaignId: z.string().min(1).max(128).optional(),
  /** The product a cross-sell recommends (a catalog SKU); how well it suits the customer scales its effect. */
  productSku: z.string().min(1).max(64).optional(),
});
export type SimMessageInput = z.input<typeof simMessageSchema>;
export type SimMessage = z.output<typeof simMessageSchema>;
