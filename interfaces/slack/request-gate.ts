import type { IncomingMessage, ServerResponse } from "node:http";
import { HTTPModuleFunctions, verifySlackRequest } from "@slack/bolt";

/** Slack's replay window: a request signed more than this far from now, either way, is refused. */
export const MAX_CLOCK_SKEW_SECONDS = 5 * 60;
/** Larger bodies are refused before anything is parsed (Bolt's own default). */
export const MAX_BODY_BYTES = HTTPModuleFunctions.defaultBodyLimit;

export type GateVerdict = { ok: true } | { ok: false; status: 401 | 413; reason: string };

/**
 * Whether a request's timestamp is fresh. Bolt's verifySlackRequest refuses stale requests but not
 * ones dated in the future, which a replay with a forged clock would be; this checks both. Pure.
 */
export function checkTimestamp(header: string | string[] | undefined, nowMs: number): GateVerdict {
  if (typeof header !== "string" || !/^\d{1,12}$/.test(header))
    return { ok: false, status: 401, reason: "missing or malformed x-slack-request-timestamp" };
  const skew = Number(header) - Math.floor(nowMs / 1000);
  if (skew > MAX_CLOCK_SKEW_SECONDS) return { ok: false, status: 401, reason: `timestamp ${skew} s in the future` };
  if (-skew > MAX_CLOCK_SKEW_SECONDS) return { ok: false, status: 401, reason: `timestamp ${-skew} s old` };
  return { ok: true };
}

/**
 * Checks a request end to end before Bolt sees it: fresh both ways, then signed over its exact body
 * with the signing secret (Bolt's verifySlackRequest). Every request is checked, ssl_check included,
 * which Bolt would let through unsigned. The body is buffered the way Bolt buffers it, so Bolt reads
 * the same bytes afterwards.
 */
export async function verifyRequest(req: IncomingMessage, signingSecret: string, nowMs: number): Promise<GateVerdict> {
  const fresh = checkTimestamp(req.headers["x-slack-request-timestamp"], nowMs);
  if (!fresh.ok) return fresh;
  let body: string;
  try {
    body = (await HTTPModuleFunctions.bufferIncomingMessage(req, MAX_BODY_BYTES)).rawBody.toString();
  } catch (err) {
    if (HTTPModuleFunctions.isRawBodyError(err) && err.statusCode === 413) return { ok: false, status: 413, reason: "body too large" };
    return { ok: false, status: 401, reason: `unreadable body: ${(err as Error).message}` };
  }
  const signature = req.headers["x-slack-signature"];
  if (typeof signature !== "string") return { ok: false, status: 401, reason: "missing x-slack-signature" };
  try {
    verifySlackRequest({
      signingSecret,
      body,
      headers: { "x-slack-signature": signature, "x-slack-request-timestamp": Number(req.headers["x-slack-request-timestamp"]) },
      nowMilliseconds: nowMs,
    });
  } catch (err) {
    return { ok: false, status: 401, reason: (err as Error).message };
  }
  return { ok: true };
}

/** Answers a refused request with its status and no body, after the rest of it has arrived. */
export function refuse(res: ServerResponse, status: number): void {
  res.writeHead(status, { connection: "close" });
  res.end();
}
