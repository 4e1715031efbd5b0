import { createHmac } from "node:crypto";

/** Test support: HTTP requests to the Slack app, signed the way Slack signs them (v0 HMAC-SHA256). */

export interface SlackPost {
  status: number;
  body: string;
  /** Milliseconds from sending to the response's end. */
  ms: number;
}

export function slackSignature(secret: string, timestampSec: number, body: string): string {
  return `v0=${createHmac("sha256", secret).update(`v0:${timestampSec}:${body}`).digest("hex")}`;
}

/** Form-encodes a slash command's fields. */
export const formBody = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
/** Form-encodes an interactivity payload (buttons, view submissions) as Slack does. */
export const payloadBody = (payload: unknown) => new URLSearchParams({ payload: JSON.stringify(payload) }).toString();

export async function postToSlackApp(
  url: string,
  body: string,
  options: {
    secret?: string;
    /** Seconds since the epoch the request claims; default now. */
    timestampSec?: number;
    /** Override the signature (forgeries); `null` sends none. */
    signature?: string | null;
    contentType?: "application/json" | "application/x-www-form-urlencoded";
  } = {},
): Promise<SlackPost> {
  const ts = options.timestampSec ?? Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = {
    "content-type": options.contentType ?? (body.startsWith("{") ? "application/json" : "application/x-www-form-urlencoded"),
    "x-slack-request-timestamp": String(ts),
  };
  const signature =
    options.signature === undefined ? (options.secret ? slackSignature(options.secret, ts, body) : null) : options.signature;
  if (signature !== null) headers["x-slack-signature"] = signature;
  const started = Date.now();
  const res = await fetch(url, { method: "POST", headers, body });
  const text = await res.text();
  return { status: res.status, body: text, ms: Date.now() - started };
}
