import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Webhook signatures, in the scheme Stripe made familiar.
 *
 * Each request carries
 *
 *     X-Pulse-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
 *
 * The timestamp is inside the signed bytes, so a captured request cannot be replayed outside the
 * receiver's tolerance window. A header may carry several `v1=` entries (for instance while a secret
 * is rotated); one match is enough. Receivers must verify the raw body bytes, before any JSON parse.
 */

export const SIGNATURE_HEADER = "X-Pulse-Signature";
export const SIGNATURE_SCHEME = "v1";

/** Default tolerance between the signature's timestamp and the receiver's clock. */
export const DEFAULT_SIGNATURE_TOLERANCE_SEC = 300;

type Body = string | Uint8Array;

function hmacHex(secret: string, timestampSec: number, body: Body): string {
  return createHmac("sha256", secret).update(`${timestampSec}.`).update(body).digest("hex");
}

/** The value of the X-Pulse-Signature header for `body` sent at `timestampSec`. */
export function signWebhookPayload(secret: string, body: Body, timestampSec: number): string {
  if (!Number.isSafeInteger(timestampSec) || timestampSec < 0) throw new RangeError("timestampSec must be a non-negative whole number");
  return `t=${timestampSec},${SIGNATURE_SCHEME}=${hmacHex(secret, timestampSec, body)}`;
}

/**
 * True when `header` holds a v1 signature of `body` under `secret` whose timestamp is within
 * `toleranceSec` of `nowSec` (either side, to allow for clock skew). Never throws on a malformed header.
 */
export function verifyWebhookSignature(
  secret: string,
  header: string | null | undefined,
  body: Body,
  toleranceSec: number = DEFAULT_SIGNATURE_TOLERANCE_SEC,
  nowSec: number = Date.now() / 1000,
): boolean {
  if (typeof header !== "string" || header.length > 4096) return false;
  let timestamp: number | undefined;
  const candidates: string[] = [];
  for (const part of header.split(",")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === "t" && /^\d{1,15}$/.test(value)) timestamp = Number(value);
    else if (key === SIGNATURE_SCHEME && /^[0-9a-f]{64}$/i.test(value)) candidates.push(value.toLowerCase());
  }
  if (timestamp === undefined || candidates.length === 0) return false;
  if (!(Math.abs(nowSec - timestamp) <= toleranceSec)) return false;

  const expected = Buffer.from(hmacHex(secret, timestamp, body), "hex");
  // Compare against every candidate so timing does not reveal which one matched.
  let ok = false;
  for (const candidate of candidates) {
    if (timingSafeEqual(expected, Buffer.from(candidate, "hex"))) ok = true;
  }
  return ok;
}
