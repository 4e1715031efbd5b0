import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import fastifyCookie from "@fastify/cookie";
import fastifyFormbody from "@fastify/formbody";
import fastifySwagger from "@fastify/swagger";
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from "fastify";
import { hasZodFastifySchemaValidationErrors, jsonSchemaTransform, serializerCompiler, validatorCompiler } from "fastify-type-provider-zod";
import { ZodError } from "zod";
import type { Config } from "../../core/config.js";
import { InputError, NotFoundError, PulseError } from "../../core/errors.js";
import { createAuditLog, type AuditLog } from "../../guardrails/audit.js";
import { ApprovalAlreadyDecidedError, ApprovalExpiredError, InvalidApprovalError } from "../../guardrails/approval-errors.js";
import type { Db } from "../../store/db.js";
import { CycleStateError } from "../../workflows/cycle/service.js";
import { registerApiRoutes } from "./api-routes.js";
import { identify, requireAction } from "./auth.js";
import type { CycleAccess } from "./cycle-access.js";
import { registerDashboardRoutes } from "./dashboard/routes.js";
import { BadRequestError } from "./errors.js";
import { checkReadiness } from "./readiness.js";

/** Another listener that answers raw requests under a path prefix (e.g. the Slack receiver under /slack/). */
export interface Mount {
  prefix: string;
  listener: RequestListener;
}

export interface HttpServerOptions {
  db: Db;
  config: Pick<Config, "REDIS_URL" | "PULSE_HTTP_SECURE_COOKIES">;
  /** The cycle machinery (openCycleContext today, createCycleRuntime later). */
  cycles: CycleAccess;
  audit?: AuditLog;
  mounts?: readonly Mount[];
  logger?: FastifyBaseLogger;
}

export interface HttpServer {
  app: FastifyInstance;
  server: Server;
  /** Listens and returns the base URL (port 0 picks a free port). */
  listen(port: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

type Issue = { path: readonly PropertyKey[]; message: string };
const issuesOf = (issues: readonly Issue[]) => issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message }));

/** The status and body an error maps to: the reason in words, never a stack. */
function errorReply(err: unknown): { status: number; body: Record<string, unknown> } {
  if (hasZodFastifySchemaValidationErrors(err))
    return {
      status: 400,
      body: {
        error: "bad_request",
        message: `invalid ${err.validationContext ?? "request"}`,
        issues: err.validation.map((v) => ({
          path: `${err.validationContext ?? ""}${v.instancePath.replaceAll("/", ".")}`,
          message: v.message,
        })),
      },
    };
  if (err instanceof BadRequestError)
    return { status: 400, body: { error: "bad_request", message: err.message, issues: issuesOf(err.issues) } };
  if (err instanceof ZodError)
    return { status: 400, body: { error: "bad_request", message: "invalid input", issues: issuesOf(err.issues) } };
  // SelfApprovalError is an InvalidApprovalError.
  if (err instanceof InvalidApprovalError) return { status: 403, body: { error: "forbidden", message: err.message } };
  if (err instanceof CycleStateError || err instanceof ApprovalAlreadyDecidedError || err instanceof ApprovalExpiredError)
    return { status: 409, body: { error: "conflict", message: err.message } };
  if (err instanceof NotFoundError) return { status: 404, body: { error: "not_found", message: err.message } };
  if (err instanceof InputError) return { status: 400, body: { error: "bad_request", message: err.message } };
  const fe = err as FastifyError;
  if (typeof fe.statusCode === "number" && fe.statusCode >= 400 && fe.statusCode < 500)
    return { status: fe.statusCode, body: { error: "bad_request", message: fe.message } };
  return { status: 500, body: { error: "internal", message: err instanceof PulseError ? err.message : "internal error" } };
}

/**
 * The HTTP API and the dashboard on one Fastify app. The Node server is made here (serverFactory),
 * so requests under a mount's prefix go straight to that listener (Slack's receiver verifies its own
 * signatures on the raw body) and everything else to Fastify.
 */
export async function createHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const { db, cycles } = options;
  const audit = options.audit ?? createAuditLog(db);
  const mounts = options.mounts ?? [];
  let server: Server | undefined;
  const app = Fastify({
    loggerInstance: options.logger,
    serverFactory: (handler) => {
      server = createServer((req: IncomingMessage, res: ServerResponse) => {
        const mount = mounts.find((m) => req.url?.startsWith(m.prefix));
        if (mount) return mount.listener(req, res);
        handler(req, res);
      });
      return server;
    },
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler((err, request, reply) => {
    const { status, body } = errorReply(err);
    if (status >= 500) request.log.error({ err }, "request failed");
    return reply.code(status).send(body);
  });

  await app.register(fastifyCookie);
  await app.register(fastifyFormbody);
  await app.register(fastifySwagger, {
    openapi: {
      info: { title: "Pulse API", version: "1" },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
    },
    transform: jsonSchemaTransform,
  });

  app.decorateRequest("actor", null);
  // API: bearer tokens only. Dashboard: the bearer token or the session cookie.
  app.addHook("onRequest", async (request) => {
    const path = request.url.split("?")[0]!;
    if (path === "/health" || path === "/ready" || path === "/login") return;
    request.actor = await identify(db, request, { cookie: !path.startsWith("/api/") });
  });

  app.get("/health", { schema: { hide: true } }, async () => ({ ok: true }));
  app.get("/ready", { schema: { hide: true } }, async (_request, reply) => {
    const r = await checkReadiness(db, options.config);
    return reply.code(r.ready ? 200 : 503).send(r);
  });
  app.get("/api/openapi.json", { onRequest: requireAction("read"), schema: { hide: true } }, async () => app.swagger());

  registerApiRoutes(app, { db, audit, cycles });
  registerDashboardRoutes(app, { db, audit, cycles, secureCookies: options.config.PULSE_HTTP_SECURE_COOKIES });
  await app.ready();

  return {
    app,
    server: server!,
    async listen(port, host = "127.0.0.1") {
      await app.listen({ port, host });
      const address = server!.address() as AddressInfo;
      return `http://${host.includes(":") ? `[${host}]` : host}:${address.port}`;
    },
    close: () => app.close(),
  };
}
