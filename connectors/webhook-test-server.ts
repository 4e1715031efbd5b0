import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** A real HTTP receiver on 127.0.0.1 for connector tests: answers from a script, records every request. */

export interface ScriptedResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Wait this long before answering (to trip the client's timeout). */
  delayMs?: number;
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface TestServer {
  url: string;
  requests: RecordedRequest[];
  /**
   * With `dedupe`: how many times each Idempotency-Key was accepted (a scripted 2xx for a key not seen
   * before; counted on receipt, even when the answer comes after the client gave up).
   */
  accepted: Map<string, number>;
  /** With `dedupe`: scripted 2xx requests refused as repeats of an accepted key, per key. */
  duplicates: Map<string, number>;
  close(): Promise<void>;
}

export interface TestServerOptions {
  /**
   * Act as a receiver that honours Idempotency-Key: a repeat of an accepted key is not accepted
   * again; it is answered 200 with `{"duplicate":true}` (as receivers that dedupe do) and counted.
   */
  dedupe?: boolean;
  /** Listen on this port (to bring an endpoint back up where it was); default any free port. */
  port?: number;
}

/** Answers request n with script[n], repeating the last entry once the script runs out. */
export async function startTestServer(script: ScriptedResponse[], options: TestServerOptions = {}): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  const accepted = new Map<string, number>();
  const duplicates = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const n = requests.length;
      requests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks) });
      let answer = script[Math.min(n, script.length - 1)] ?? { status: 200 };
      const key = req.headers["idempotency-key"];
      if (options.dedupe && typeof key === "string" && answer.status >= 200 && answer.status < 300) {
        if (accepted.has(key)) {
          duplicates.set(key, (duplicates.get(key) ?? 0) + 1);
          answer = { status: 200, headers: { "content-type": "application/json" }, body: '{"duplicate":true}', delayMs: answer.delayMs };
        } else accepted.set(key, 1);
      }
      const respond = () => {
        if (res.destroyed) return;
        res.writeHead(answer.status, answer.headers ?? {});
        res.end(answer.body ?? "");
      };
      if (answer.delayMs === undefined) respond();
      else {
        const t = setTimeout(() => {
          timers.delete(t);
          respond();
        }, answer.delayMs);
        timers.add(t);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/pulse`,
    requests,
    accepted,
    duplicates,
    async close() {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
