import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { parse as parseQuery } from "node:querystring";

/**
 * Test support: a local stand-in for Slack's Web API and response URLs. Answers the methods Pulse
 * calls the way Slack does (`{ ok: true, ... }`), records every call with its arguments (JSON fields
 * such as blocks and view decoded), and fails a method on demand.
 */
export interface RecordedCall {
  method: string;
  args: Record<string, unknown>;
  /** The bearer token the client sent. */
  token: string | null;
}

export interface StandIn {
  /** Base URL for WebClient's slackApiUrl (ends with /api/). */
  readonly apiUrl: string;
  readonly calls: RecordedCall[];
  /** A response URL on the stand-in; what is posted to it is recorded as method `response:<id>`. */
  responseUrl(id: string): string;
  callsOf(method: string): RecordedCall[];
  /** Waits until `count` calls of the method have been recorded (and returns them). */
  waitFor(method: string, count?: number, timeoutMs?: number): Promise<RecordedCall[]>;
  /** The next calls of a method answer `{ ok: false, error }`. */
  failNext(method: string, error: string, times?: number): void;
  close(): Promise<void>;
}

export const BOT_USER_ID = "UPULSEBOT";
export const TEAM_ID = "T0PULSE";

const JSON_FIELDS = new Set(["blocks", "view", "attachments", "metadata"]);

export async function startSlackStandIn(): Promise<StandIn> {
  const calls: RecordedCall[] = [];
  const failures = new Map<string, { error: string; times: number }>();
  let seq = 0;
  const nextTs = () => `1700000000.${String(++seq).padStart(6, "0")}`;

  function answer(method: string, args: Record<string, unknown>): Record<string, unknown> {
    const failure = failures.get(method);
    if (failure && failure.times > 0) {
      failure.times--;
      return { ok: false, error: failure.error };
    }
    switch (method) {
      case "auth.test":
        return {
          ok: true,
          url: "https://pulse-test.slack.com/",
          team: "Pulse test",
          user: "pulse",
          team_id: TEAM_ID,
          user_id: BOT_USER_ID,
          bot_id: "BPULSE",
        };
      case "chat.postMessage":
        return { ok: true, channel: args.channel, ts: nextTs(), message: { text: args.text } };
      case "chat.update":
        return { ok: true, channel: args.channel, ts: args.ts, text: args.text };
      case "chat.postEphemeral":
        return { ok: true, message_ts: nextTs() };
      case "views.open":
        return { ok: true, view: { id: `V${seq++}`, ...(args.view as object) } };
      default:
        return { ok: false, error: "unknown_method" };
    }
  }

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      const type = req.headers["content-type"] ?? "";
      let args: Record<string, unknown> = {};
      if (type.startsWith("application/json")) args = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      else {
        for (const [k, v] of Object.entries(parseQuery(raw))) {
          const value = Array.isArray(v) ? v[0] : v;
          args[k] = JSON_FIELDS.has(k) && typeof value === "string" ? (JSON.parse(value) as unknown) : value;
        }
      }
      const auth = req.headers.authorization;
      const token = auth?.startsWith("Bearer ") ? auth.slice(7) : typeof args.token === "string" ? args.token : null;
      const url = new URL(req.url ?? "/", "http://stand-in");
      if (url.pathname.startsWith("/response/")) {
        calls.push({ method: `response:${url.pathname.slice("/response/".length)}`, args, token });
        res.writeHead(200, { "content-type": "text/plain" });
        res.end("ok");
        return;
      }
      const method = url.pathname.replace(/^\/api\//, "");
      calls.push({ method, args, token });
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(answer(method, args)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    apiUrl: `${base}/api/`,
    calls,
    responseUrl: (id) => `${base}/response/${id}`,
    callsOf: (method) => calls.filter((c) => c.method === method),
    async waitFor(method, count = 1, timeoutMs = 60_000) {
      const started = Date.now();
      for (;;) {
        const found = calls.filter((c) => c.method === method);
        if (found.length >= count) return found;
        if (Date.now() - started > timeoutMs)
          throw new Error(
            `stand-in: waited ${timeoutMs} ms for ${count} × ${method}; got ${found.length} (calls: ${calls.map((c) => c.method).join(", ")})`,
          );
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    failNext(method, error, times = 1) {
      failures.set(method, { error, times });
    },
    close: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}
