import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";

/**
 * A small OpenAI-compatible server for tests: POST /v1/chat/completions and GET /v1/models on
 * 127.0.0.1, answering from a script. Replies come from a queue first, then from a responder
 * function (for longer scenarios). Every request is recorded with the reply and the usage it got,
 * so tests can assert what was sent (no PII, the tools list) and check token accounting.
 */

export interface ScriptedUsage {
  prompt_tokens: number;
  completion_tokens: number;
}

export interface ScriptedToolCall {
  name: string;
  /** A string is sent as is (so it can be malformed JSON); an object is JSON-encoded. */
  arguments: string | Record<string, unknown>;
  id?: string;
}

export type ScriptedReply =
  /** An assistant message whose content is the JSON encoding of `value`. */
  | { kind: "json"; value: unknown; usage?: ScriptedUsage }
  /** An assistant message with raw content, e.g. malformed JSON. */
  | { kind: "content"; content: string | null; usage?: ScriptedUsage }
  | { kind: "tool-calls"; calls: ScriptedToolCall[]; content?: string | null; usage?: ScriptedUsage }
  /** An OpenAI-style error body with this status, e.g. 429 with { "retry-after": "2" }. */
  | { kind: "error"; status: number; message?: string; type?: string; headers?: Record<string, string> }
  /** Never responds (the connection stays open until the client gives up or the server closes). */
  | { kind: "hang" }
  /** Sends status and headers and the start of the body, then stalls. */
  | { kind: "hang-body" }
  /** A 200 completion with an empty `choices` array. */
  | { kind: "empty-choice"; usage?: ScriptedUsage };

/**
 * A server fault: `down` drops the request's connection and stops listening, so later requests are
 * refused (ECONNREFUSED) until `recover()`; `reset` only drops this request's connection; `slow`
 * answers normally after `delayMs` (longer than the client's timeout, it never arrives in time);
 * `non-json`, `wrong-shape` and `empty-choice` answer 200 with nonsense: prose, JSON no agent asked
 * for, or no choice at all.
 */
export type ServerFault =
  | { kind: "down" }
  | { kind: "reset" }
  | { kind: "slow"; delayMs: number }
  | { kind: "non-json" }
  | { kind: "wrong-shape" }
  | { kind: "empty-choice" };

/** When a fault applies, by the 0-based index of chat requests: these requests only, or from one on (mid-cycle). */
export type FaultRule = { fault: ServerFault } & ({ at: readonly number[] } | { from: number });

const messageSchema = z.looseObject({
  role: z.string(),
  content: z.union([z.string(), z.null(), z.array(z.unknown())]).optional(),
  tool_calls: z.array(z.unknown()).optional(),
  tool_call_id: z.string().optional(),
});

const chatRequestSchema = z.looseObject({
  model: z.string(),
  messages: z.array(messageSchema).min(1),
  tools: z
    .array(
      z.looseObject({
        type: z.string(),
        function: z.looseObject({ name: z.string(), description: z.string().optional(), parameters: z.unknown() }).optional(),
      }),
    )
    .optional(),
  response_format: z.looseObject({ type: z.string() }).optional(),
  temperature: z.number().optional(),
  stream: z.boolean().optional(),
});

export type ChatRequest = z.infer<typeof chatRequestSchema>;
export type Responder = (request: ChatRequest, index: number) => ScriptedReply | Promise<ScriptedReply>;

export interface TestLlmServerScript {
  /** Replies used in order, one per chat request. */
  queue?: ScriptedReply[];
  /** Answers once the queue is empty; without one, an empty queue answers 400 "script exhausted". */
  responder?: Responder;
  /** Reject requests carrying response_format with a 400, like servers without JSON mode. */
  rejectJsonMode?: boolean;
  /** Model id reported by GET /v1/models and in completions. */
  model?: string;
  /** Port on 127.0.0.1 (default: any free one). */
  port?: number;
  /** Faults to inject; the first rule matching a request's index applies. */
  faults?: FaultRule[];
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** The parsed chat request (undefined for other routes or unparseable bodies). */
  body: ChatRequest | undefined;
  /** Which reply it got: a scripted kind, or "rejected" for protocol errors. */
  reply: ScriptedReply["kind"] | "rejected" | "models" | "dropped";
  /** The fault injected into this request, if any. */
  fault?: ServerFault["kind"];
  status: number | undefined;
  /** Token counts sent back in the response, when there was one with usage. */
  usage: ScriptedUsage | undefined;
}

export interface TestLlmServer {
  /** Base URL for the `openai` client, ending in /v1. */
  url: string;
  requests: RecordedRequest[];
  /** Append replies to the queue while the server runs. */
  enqueue(...replies: ScriptedReply[]): void;
  /** Adds a fault rule while the server runs (e.g. from the next request on: `{ from: chatRequests(), fault }`). */
  inject(rule: FaultRule): void;
  /** Chat requests received so far (the index the next one gets). */
  chatRequests(): number;
  /** Whether the server is down (stopped listening after a `down` fault). */
  isDown(): boolean;
  /** Listens again on the same port after a `down` fault, and clears the fault rules. */
  recover(): Promise<void>;
  /** Sum of usage sent in all responses. */
  usageTotals(): ScriptedUsage;
  /** The most chat requests that were open at once (received, not yet answered or dropped). */
  maxInFlight(): number;
  close(): Promise<void>;
}

/** Shorthands for scripted replies. */
export const reply = {
  json: (value: unknown, usage?: ScriptedUsage): ScriptedReply => ({ kind: "json", value, ...(usage ? { usage } : {}) }),
  content: (content: string | null, usage?: ScriptedUsage): ScriptedReply => ({
    kind: "content",
    content,
    ...(usage ? { usage } : {}),
  }),
  toolCalls: (calls: ScriptedToolCall[], usage?: ScriptedUsage): ScriptedReply => ({
    kind: "tool-calls",
    calls,
    ...(usage ? { usage } : {}),
  }),
  rateLimited: (retryAfterSeconds?: number): ScriptedReply => ({
    kind: "error",
    status: 429,
    type: "rate_limit_exceeded",
    message: "Rate limit reached",
    ...(retryAfterSeconds === undefined ? {} : { headers: { "retry-after": String(retryAfterSeconds) } }),
  }),
  serverError: (status = 500): ScriptedReply => ({ kind: "error", status, type: "server_error", message: "Internal error" }),
  hang: (): ScriptedReply => ({ kind: "hang" }),
  hangBody: (): ScriptedReply => ({ kind: "hang-body" }),
  emptyChoice: (): ScriptedReply => ({ kind: "empty-choice" }),
};

/** The rule that applies to the chat request with this index, if any. */
export function faultFor(rules: readonly FaultRule[], index: number): ServerFault | undefined {
  return rules.find((r) => ("at" in r ? r.at.includes(index) : index >= r.from))?.fault;
}

/** A responder that answers every request with JSON computed from it. */
export function jsonResponder(fn: (request: ChatRequest) => unknown): Responder {
  return (request) => ({ kind: "json", value: fn(request) });
}

/** Text of the last user message, for responders that answer based on the prompt. */
export function lastUserMessage(request: ChatRequest): string {
  const last = request.messages.filter((m) => m.role === "user").at(-1);
  return typeof last?.content === "string" ? last.content : "";
}

const estimateTokens = (text: string): number => Math.max(1, Math.ceil(text.length / 4));

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

function errorBody(message: string, type: string, param: string | null = null) {
  return { error: { message, type, param, code: null } };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function startTestLlmServer(script: ScriptedReply[] | TestLlmServerScript = {}): Promise<TestLlmServer> {
  const options: TestLlmServerScript = Array.isArray(script) ? { queue: script } : script;
  const queue = [...(options.queue ?? [])];
  const model = options.model ?? "pulse-test-model";
  const requests: RecordedRequest[] = [];
  let inFlight = 0;
  let peakInFlight = 0;
  let chatCount = 0;
  const faults: FaultRule[] = [...(options.faults ?? [])];
  const timers = new Set<NodeJS.Timeout>();
  let down = false;
  let port = options.port ?? 0;

  async function handleChat(req: IncomingMessage, res: ServerResponse, recorded: RecordedRequest): Promise<void> {
    let raw: unknown;
    try {
      raw = JSON.parse(await readBody(req));
    } catch {
      recorded.status = 400;
      return sendJson(res, 400, errorBody("request body is not JSON", "invalid_request_error"));
    }
    const parsed = chatRequestSchema.safeParse(raw);
    if (!parsed.success) {
      recorded.status = 400;
      return sendJson(res, 400, errorBody(`invalid request: ${z.prettifyError(parsed.error)}`, "invalid_request_error"));
    }
    const body = parsed.data;
    recorded.body = body;
    if (body.stream) {
      recorded.status = 400;
      return sendJson(res, 400, errorBody("stream is not supported by the test server", "invalid_request_error", "stream"));
    }
    if (options.rejectJsonMode && body.response_format) {
      recorded.status = 400;
      return sendJson(
        res,
        400,
        errorBody("response_format json_object is not supported with this model", "invalid_request_error", "response_format"),
      );
    }

    const index = chatCount++;
    const fault = faultFor(faults, index);
    if (fault) recorded.fault = fault.kind;
    if (fault?.kind === "down" || fault?.kind === "reset") {
      recorded.reply = "dropped";
      req.socket.destroy();
      if (fault.kind === "down") stopListening();
      return;
    }
    if (fault?.kind === "slow") {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          timers.delete(t);
          resolve();
        }, fault.delayMs);
        timers.add(t);
      });
      if (res.destroyed || req.socket.destroyed) return;
    }
    const nonsense: ScriptedReply | undefined =
      fault?.kind === "non-json"
        ? { kind: "content", content: "I am sorry, I cannot help with that today." }
        : fault?.kind === "wrong-shape"
          ? { kind: "json", value: { answer: "yes", items: [1, 2, 3] } }
          : fault?.kind === "empty-choice"
            ? { kind: "empty-choice" }
            : undefined;
    const next = nonsense ?? queue.shift() ?? (options.responder ? await options.responder(body, index) : undefined);
    if (!next) {
      recorded.status = 400;
      return sendJson(res, 400, errorBody("test server: script exhausted (no reply left)", "invalid_request_error"));
    }
    recorded.reply = next.kind;

    switch (next.kind) {
      case "hang":
        return;
      case "hang-body":
        recorded.status = 200;
        res.writeHead(200, { "content-type": "application/json" });
        res.write('{"id":"chatcmpl-stalled",');
        return;
      case "empty-choice": {
        const usage = next.usage ?? { prompt_tokens: estimateTokens(JSON.stringify(body.messages)), completion_tokens: 0 };
        recorded.status = 200;
        recorded.usage = usage;
        return sendJson(res, 200, {
          id: `chatcmpl-${randomUUID()}`,
          object: "chat.completion",
          created: Math.floor(Date.now() / 1000),
          model: body.model,
          choices: [],
          usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
        });
      }
      case "error":
        recorded.status = next.status;
        return sendJson(res, next.status, errorBody(next.message ?? `error ${next.status}`, next.type ?? "server_error"), next.headers);
      default: {
        const content = next.kind === "json" ? JSON.stringify(next.value) : next.kind === "content" ? next.content : (next.content ?? null);
        const toolCalls =
          next.kind === "tool-calls"
            ? next.calls.map((c) => ({
                id: c.id ?? `call_${randomUUID().slice(0, 8)}`,
                type: "function" as const,
                function: { name: c.name, arguments: typeof c.arguments === "string" ? c.arguments : JSON.stringify(c.arguments) },
              }))
            : undefined;
        const usage = next.usage ?? {
          prompt_tokens: estimateTokens(JSON.stringify(body.messages)),
          completion_tokens: estimateTokens(content ?? JSON.stringify(toolCalls ?? "")),
        };
        recorded.status = 200;
        recorded.usage = usage;
        return sendJson(res, 200, {
          id: `chatcmpl-${randomUUID()}`,
          object: "chat.completion",
          created: Math.floor(Date.now() / 1000),
          model: body.model,
          choices: [
            {
              index: 0,
              message: { role: "assistant", content, refusal: null, ...(toolCalls ? { tool_calls: toolCalls } : {}) },
              finish_reason: toolCalls ? "tool_calls" : "stop",
              logprobs: null,
            },
          ],
          usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
        });
      }
    }
  }

  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0]!;
    const recorded: RecordedRequest = {
      method: req.method ?? "GET",
      path,
      headers: { ...req.headers },
      body: undefined,
      reply: "rejected",
      status: undefined,
      usage: undefined,
    };
    requests.push(recorded);
    if (req.method === "POST" && path === "/v1/chat/completions") {
      inFlight += 1;
      peakInFlight = Math.max(peakInFlight, inFlight);
      res.once("close", () => (inFlight -= 1));
      handleChat(req, res, recorded).catch((err: unknown) => {
        recorded.status = 500;
        if (!res.headersSent) sendJson(res, 500, errorBody(`test server failed: ${String(err)}`, "server_error"));
      });
      return;
    }
    if (req.method === "GET" && path === "/v1/models") {
      recorded.reply = "models";
      recorded.status = 200;
      return sendJson(res, 200, {
        object: "list",
        data: [{ id: model, object: "model", created: 0, owned_by: "pulse-test" }],
      });
    }
    recorded.status = 404;
    sendJson(res, 404, errorBody(`no route ${req.method} ${path}`, "invalid_request_error"));
  });

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
  let closing: Promise<void> = Promise.resolve();
  function stopListening(): void {
    if (down) return;
    down = true;
    closing = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
  }
  await listen();
  port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    maxInFlight: () => peakInFlight,
    enqueue: (...replies) => {
      queue.push(...replies);
    },
    inject: (rule) => {
      faults.push(rule);
    },
    chatRequests: () => chatCount,
    isDown: () => down,
    recover: async () => {
      faults.length = 0;
      if (!down) return;
      await closing;
      down = false;
      await listen();
    },
    usageTotals: () =>
      requests.reduce(
        (t, r) => ({
          prompt_tokens: t.prompt_tokens + (r.usage?.prompt_tokens ?? 0),
          completion_tokens: t.completion_tokens + (r.usage?.completion_tokens ?? 0),
        }),
        { prompt_tokens: 0, completion_tokens: 0 },
      ),
    close: async () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      if (down) return closing;
      await new Promise<void>((resolve, reject) => {
        // Hanging requests keep their sockets open; drop them so close() returns at once.
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      });
    },
  };
}
