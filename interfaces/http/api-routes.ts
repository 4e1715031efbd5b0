import { Readable } from "node:stream";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { roleSchema } from "../../core/roles.js";
import type { AuditLog } from "../../guardrails/audit.js";
import { EXPORT_FORMATS, exportAuditLog } from "../../guardrails/audit-export.js";
import { verifyAuditLog } from "../../guardrails/audit-verify.js";
import { whyCustomer } from "../../guardrails/audit-why.js";
import { listCycles } from "../../store/cycles-repo.js";
import type { Db } from "../../store/db.js";
import { listTokens } from "../../store/tokens-repo.js";
import { cycleSettingsSchema } from "../../workflows/cycle/settings.js";
import { requireAction } from "./auth.js";
import { decideAs, type CycleAccess } from "./cycle-access.js";
import { BadRequestError } from "./errors.js";
import { createApiToken, revokeApiToken, tokenNameSchema } from "./tokens.js";
import { cycleView, defaultMetricsWindow, metricsView, modelsView, resultsView, segmentsView } from "./views.js";

export interface ApiDeps {
  db: Db;
  audit: AuditLog;
  cycles: CycleAccess;
}

const cycleParams = z.strictObject({ cycleId: z.string().min(1).max(100) });
const isoDate = z.iso.datetime({ offset: true }).or(z.iso.date());
const DAY_MS = 86_400_000;
const bearer = [{ bearer: [] }];

/** Every /api route: a bearer token (401), a role allowing the route's action (403), zod at the edge (400). */
export function registerApiRoutes(root: FastifyInstance, deps: ApiDeps): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { db, cycles } = deps;

  app.get(
    "/api/cycles",
    {
      onRequest: requireAction("read"),
      schema: {
        summary: "Recent cycles, newest first",
        tags: ["cycles"],
        security: bearer,
        querystring: z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(20) }),
      },
    },
    async (request) => ({ cycles: await listCycles(db, request.query.limit) }),
  );

  app.get(
    "/api/cycles/:cycleId",
    {
      onRequest: requireAction("read"),
      schema: {
        summary: "One cycle: plan, review, approval, activation, lift readout, what it waits for",
        tags: ["cycles"],
        security: bearer,
        params: cycleParams,
      },
    },
    async (request) => cycleView(db, cycles.service, request.params.cycleId),
  );

  app.post(
    "/api/cycles",
    {
      onRequest: requireAction("start_cycle"),
      schema: {
        summary: "Start a cycle (the token's holder is its requester and cannot approve it)",
        tags: ["cycles"],
        security: bearer,
        body: z.strictObject({ asOf: isoDate.optional(), settings: z.record(z.string(), z.unknown()).optional() }),
      },
    },
    async (request, reply) => {
      // Checked whole before anything is written: a bad setting starts nothing.
      const settings = cycleSettingsSchema.safeParse(request.body.settings ?? {});
      if (!settings.success) throw new BadRequestError("invalid cycle settings", settings.error.issues, ["settings"]);
      const started = await cycles.service.start({
        requestedBy: request.actor!.id,
        ...(request.body.asOf ? { asOf: new Date(request.body.asOf) } : {}),
        settings: request.body.settings as never,
      });
      await cycles.drain?.();
      const { state, waiting } = await cycles.service.get(started.cycleId);
      return reply.code(201).send({ cycleId: started.cycleId, status: state.status, waiting });
    },
  );

  for (const [path, decision] of [
    ["approve", "approved"],
    ["reject", "rejected"],
  ] as const) {
    app.post(
      `/api/cycles/:cycleId/${path}`,
      {
        onRequest: requireAction("decide"),
        schema: {
          summary: `${decision === "approved" ? "Approve" : "Reject"} the plan a cycle waits on (never by its requester)`,
          tags: ["cycles"],
          security: bearer,
          params: cycleParams,
          body:
            decision === "approved"
              ? z.strictObject({ reason: z.string().max(2000).optional() }).default({})
              : z.strictObject({ reason: z.string().trim().min(1, "a rejection needs a reason").max(2000) }),
        },
      },
      async (request) => {
        const { state, waiting } = await decideAs(cycles, request.actor!, request.params.cycleId, decision, request.body.reason);
        return { cycleId: state.cycleId, status: state.status, approval: state.approval ?? null, waiting };
      },
    );
  }

  app.get(
    "/api/segments",
    {
      onRequest: requireAction("read"),
      schema: {
        summary: "A segment run (default: the latest) with each segment's profile, and the migrations from the run before",
        tags: ["segments"],
        security: bearer,
        querystring: z.strictObject({ run: z.string().min(1).max(200).optional() }),
      },
    },
    async (request, reply) => {
      const view = await segmentsView(db, request.query.run);
      if (!view)
        return reply
          .code(404)
          .send({ error: "not_found", message: request.query.run ? `segment run ${request.query.run} not found` : "no segment run yet" });
      return view;
    },
  );

  app.get(
    "/api/customers/:customerId/why",
    {
      onRequest: requireAction("audit"),
      schema: {
        summary: "Why a customer got (or did not get) a message, from the audit log alone",
        tags: ["audit"],
        security: bearer,
        params: z.strictObject({ customerId: z.string().min(1).max(200) }),
        querystring: z.strictObject({ cycle: z.string().min(1).max(100).optional() }),
      },
    },
    async (request) => whyCustomer(db, request.params.customerId, request.query.cycle ? { cycleId: request.query.cycle } : {}),
  );

  app.get(
    "/api/audit/verify",
    { onRequest: requireAction("audit"), schema: { summary: "Walk the hash chain", tags: ["audit"], security: bearer } },
    async () => verifyAuditLog(db),
  );

  app.get(
    "/api/audit/export",
    {
      onRequest: requireAction("audit"),
      schema: {
        summary: "The audit log for a period, streamed as JSONL or CSV",
        tags: ["audit"],
        security: bearer,
        querystring: z
          .strictObject({ from: isoDate, to: isoDate, format: z.enum(EXPORT_FORMATS).default("jsonl") })
          .refine((q) => new Date(q.to) > new Date(q.from), { message: "to must be after from", path: ["to"] }),
      },
    },
    async (request, reply) => {
      const { from, to, format } = request.query;
      reply
        .header("content-type", format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8")
        .header("content-disposition", `attachment; filename="pulse-audit.${format}"`);
      return reply.send(Readable.from(exportAuditLog(db, { from: new Date(from), to: new Date(to), format })));
    },
  );

  app.get(
    "/api/metrics",
    {
      onRequest: requireAction("read"),
      schema: {
        summary:
          "Messages per channel per day, unsubscribes and their rate per day, fatigue distribution per segment; default window: the 90 days up to the last message activity",
        tags: ["metrics"],
        security: bearer,
        querystring: z
          .strictObject({ from: isoDate.optional(), to: isoDate.optional() })
          .refine((q) => !q.from || !q.to || new Date(q.to) > new Date(q.from), { message: "to must be after from", path: ["to"] }),
      },
    },
    async (request) => {
      const fallback = await defaultMetricsWindow(db);
      const to = request.query.to ? new Date(request.query.to) : fallback.to;
      const from = request.query.from ? new Date(request.query.from) : new Date(to.getTime() - 90 * DAY_MS);
      return metricsView(db, from, to);
    },
  );

  app.get(
    "/api/results",
    {
      onRequest: requireAction("read"),
      schema: {
        summary: "Lift of the latest measured cycle, and incremental revenue and margin over cycles",
        tags: ["results"],
        security: bearer,
      },
    },
    async () => resultsView(db, cycles.service),
  );

  app.get(
    "/api/models",
    {
      onRequest: requireAction("read"),
      schema: {
        summary: "Uplift models and the Qini curves of the uplift each measured plan used; CLV fit; segment quality",
        tags: ["models"],
        security: bearer,
      },
    },
    async () => modelsView(db, cycles.service),
  );

  app.get(
    "/api/tokens",
    { onRequest: requireAction("admin"), schema: { summary: "Live tokens (never their secrets)", tags: ["tokens"], security: bearer } },
    async () => ({ tokens: await listTokens(db.pool) }),
  );

  app.post(
    "/api/tokens",
    {
      onRequest: requireAction("admin"),
      schema: {
        summary: "Create a token; the secret is in this answer only",
        tags: ["tokens"],
        security: bearer,
        body: z.strictObject({ name: tokenNameSchema, role: roleSchema }),
      },
    },
    async (request, reply) => reply.code(201).send(await createApiToken(db, deps.audit, request.body, request.actor!.id)),
  );

  app.delete(
    "/api/tokens/:tokenId",
    {
      onRequest: requireAction("admin"),
      schema: {
        summary: "Revoke a token",
        tags: ["tokens"],
        security: bearer,
        params: z.strictObject({ tokenId: z.string().min(1).max(100) }),
      },
    },
    async (request, reply) => {
      const row = await revokeApiToken(db, deps.audit, request.params.tokenId, request.actor!.id);
      if (!row) return reply.code(404).send({ error: "not_found", message: `no live token ${request.params.tokenId}` });
      return { revoked: row };
    },
  );
}
