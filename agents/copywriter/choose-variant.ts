import { createHash } from "node:crypto";

export interface VariantChoiceKey {
  customerId: string;
  campaignId: string;
  /** The variant this customer saw last on this channel, if known: never chosen twice in a row. */
  lastVariantId?: string | null;
}

/**
 * Deterministic variant for a customer in a campaign: a salted hash of (campaign, customer) picks the
 * variant, stable across runs and independent of order; if that is the customer's last variant,
 * the next one is taken instead.
 */
export function chooseVariant<V extends { variantId: string }>(variants: readonly V[], key: VariantChoiceKey): V {
  if (variants.length === 0) throw new RangeError("chooseVariant: no variants to choose from");
  const digest = createHash("sha256").update(`copy-variant|${key.campaignId}|${key.customerId}`).digest();
  let index = digest.readUInt32BE(0) % variants.length;
  if (variants.length > 1 && variants[index]!.variantId === key.lastVariantId) index = (index + 1) % variants.length;
  return variants[index]!;
}
