import { timingSafeEqual } from "node:crypto";
import { Readable } from "node:stream";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { NotFoundError } from "../../../core/errors.js";
import { can, type Action } from "../../../core/roles.js";
import type { AuditLog } from "../../../guardrails/audit.js";
import { EXPORT_FORMATS, exportAuditLog, parseExportRange } from "../../../guardrails/audit-export.js";
import { verifyAuditLog } from "../../../guardrails/audit-verify.js";
import { renderWhy, whyCustomer, type WhyReport } from "../../../guardrails/audit-why.js";
import type { Db } from "../../../store/db.js";
import { bearerOf, csrfTokenFor, SESSION_COOKIE, type RequestActor } from "../auth.js";
import { decideAs, type CycleAccess } from "../cycle-access.js";
import { authenticateToken } from "../tokens.js";
import { defaultMetricsWindow, metricsView, modelsView, recentCycleStates, resultsView, segmentsView } from "../views.js";
import { html } from "./html.js";
import { page, PAGES } from "./layout.js";
import { auditPage, fatiguePage, modelsPage, planPage, resultsPage, segmentsPage } from "./pages.js";

export interface DashboardDeps {
  db: Db;
  audit: AuditLog;
  cycles: CycleAccess;
  secureCookies: boolean;
}

const DAY_MS = 86_400_000;
const hidden = { schema: { hide: true } };

function sessionToken(request: FastifyRequest): string | undefined {
  return bearerOf(request) ?? request.cookies[SESSION_COOKIE];
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The dashboard: server-rendered pages, sign-in with a token kept in an httpOnly, SameSite=Strict
 * cookie, and forms that carry a CSRF token derived from the session.
 */
export function registerDashboardRoutes(root: FastifyInstance, deps: DashboardDeps): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { db, cycles } = deps;

  const send = (reply: FastifyReply, status: number, body: string) => reply.code(status).type("text/html; charset=utf-8").send(body);

  /** The signed-in actor allowed `action`, or a reply already sent (redirect to sign-in, or 403). */
  function gate(request: FastifyRequest, reply: FastifyReply, action: Action, title: string, path: string): RequestActor | null {
    if (!request.actor) {
      void reply.redirect(`/login?next=${encodeURIComponent(path)}`, 303);
      return null;
    }
    if (!can(request.actor.role, action)) {
      void send(
        reply,
        403,
        page({
          title,
          path,
          actor: request.actor,
          csrf: csrfTokenFor(sessionToken(request)!),
          body: html`<div class="error" id="forbidden">Your role (${request.actor.role}) may not ${action}.</div>`,
        }),
      );
      return null;
    }
    return request.actor;
  }

  const show = (request: FastifyRequest, reply: FastifyReply, path: string, title: string, body: ReturnType<typeof html>, status = 200) =>
    send(reply, status, page({ title, path, actor: request.actor, csrf: csrfTokenFor(sessionToken(request)!), body }));

  app.get("/", hidden, async (_request, reply) => reply.redirect("/segments", 303));

  const loginPage = (error?: string, next = "/segments") =>
    page({
      title: "Sign in",
      path: "/login",
      actor: null,
      body: html`${error ? html`<div class="error" id="login-error">${error}</div>` : html``}
        <form method="post" action="/login">
          <input type="hidden" name="next" value="${next}" />
          <label>API token <input type="password" name="token" size="60" autocomplete="off" required /></label>
          <button id="sign-in">Sign in</button>
        </form>
        <p class="note">Create one on the server: <code>pulse token create --role approver --name you</code>.</p>`,
    });

  const nextSchema = z
    .string()
    .regex(/^\/[A-Za-z0-9/_?=&.%-]*$/)
    .refine((s) => !s.startsWith("//"))
    .catch("/segments");

  app.get("/login", { schema: { hide: true, querystring: z.object({ next: nextSchema.optional() }) } }, async (request, reply) =>
    send(reply, 200, loginPage(undefined, request.query.next)),
  );

  app.post(
    "/login",
    { schema: { hide: true, body: z.object({ token: z.string().max(200), next: nextSchema.optional() }) } },
    async (request, reply) => {
      const actor = await authenticateToken(db, request.body.token.trim());
      if (!actor) return send(reply, 401, loginPage("Unknown or revoked token.", request.body.next));
      reply.setCookie(SESSION_COOKIE, request.body.token.trim(), {
        httpOnly: true,
        sameSite: "strict",
        secure: deps.secureCookies,
        path: "/",
        maxAge: 12 * 3600,
      });
      return reply.redirect(request.body.next ?? "/segments", 303);
    },
  );

  app.post("/logout", { schema: { hide: true, body: z.object({ csrf: z.string() }) } }, async (request, reply) => {
    const token = sessionToken(request);
    if (token && sameSecret(request.body.csrf, csrfTokenFor(token))) reply.clearCookie(SESSION_COOKIE, { path: "/" });
    return reply.redirect("/login", 303);
  });

  const title = (path: string) => PAGES.find((p) => p.path === path)!.title;

  app.get(
    "/segments",
    { schema: { hide: true, querystring: z.object({ run: z.string().max(200).optional() }) } },
    async (request, reply) => {
      if (!gate(request, reply, "read", title("/segments"), "/segments")) return reply;
      return show(request, reply, "/segments", title("/segments"), segmentsPage(await segmentsView(db, request.query.run)));
    },
  );

  async function renderPlan(
    request: FastifyRequest,
    reply: FastifyReply,
    actor: RequestActor,
    cycleId: string | undefined,
    message?: { kind: "ok" | "error"; text: string },
    status = 200,
  ) {
    const recent = await recentCycleStates(db, cycles.service);
    const pending = recent
      .filter((c) => c.waiting?.kind === "approval")
      .map((c) => ({
        cycleId: c.row.cycleId,
        requestedBy: c.row.requestedBy,
        expiresAt: c.waiting?.kind === "approval" ? c.waiting.expiresAt : "",
      }));
    const chosen = cycleId ?? pending[0]?.cycleId ?? recent[0]?.row.cycleId;
    let cycle: { state: NonNullable<(typeof recent)[number]["state"]>; waiting: (typeof recent)[number]["waiting"] } | null = null;
    if (chosen) {
      try {
        cycle = await cycles.service.get(chosen);
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
        message = { kind: "error", text: `cycle ${chosen} not found` };
        status = 404;
      }
    }
    return show(
      request,
      reply,
      "/plan",
      title("/plan"),
      planPage({ pending, cycle, actor, csrf: csrfTokenFor(sessionToken(request)!), ...(message ? { message } : {}) }),
      status,
    );
  }

  app.get(
    "/plan",
    {
      schema: {
        hide: true,
        querystring: z.object({ cycle: z.string().max(100).optional(), done: z.enum(["approved", "rejected"]).optional() }),
      },
    },
    async (request, reply) => {
      const actor = gate(request, reply, "read", title("/plan"), "/plan");
      if (!actor) return reply;
      const done = request.query.done;
      return renderPlan(request, reply, actor, request.query.cycle, done ? { kind: "ok", text: `Plan ${done}.` } : undefined);
    },
  );

  app.post(
    "/plan/:cycleId/decide",
    {
      schema: {
        hide: true,
        params: z.object({ cycleId: z.string().min(1).max(100) }),
        body: z.object({ csrf: z.string().max(200), decision: z.enum(["approved", "rejected"]), reason: z.string().max(2000).optional() }),
      },
    },
    async (request, reply) => {
      const { cycleId } = request.params;
      if (!request.actor) return reply.redirect(`/login?next=${encodeURIComponent(`/plan?cycle=${cycleId}`)}`, 303);
      if (!sameSecret(request.body.csrf, csrfTokenFor(sessionToken(request)!)))
        return renderPlan(
          request,
          reply,
          request.actor,
          cycleId,
          { kind: "error", text: "The form expired or did not come from this dashboard (CSRF check failed); nothing was recorded." },
          403,
        );
      if (!can(request.actor.role, "decide"))
        return renderPlan(
          request,
          reply,
          request.actor,
          cycleId,
          { kind: "error", text: `Your role (${request.actor.role}) may not approve or reject plans; nothing was recorded.` },
          403,
        );
      try {
        await decideAs(cycles, request.actor, cycleId, request.body.decision, request.body.reason);
      } catch (err) {
        const status =
          (err as Error).name === "InvalidApprovalError" || (err as Error).name === "SelfApprovalError"
            ? 403
            : err instanceof NotFoundError
              ? 404
              : 409;
        return renderPlan(
          request,
          reply,
          request.actor,
          cycleId,
          { kind: "error", text: `Refused: ${(err as Error).message}. Nothing was recorded.` },
          status,
        );
      }
      return reply.redirect(`/plan?cycle=${encodeURIComponent(cycleId)}&done=${request.body.decision}`, 303);
    },
  );

  app.get("/results", hidden, async (request, reply) => {
    if (!gate(request, reply, "read", title("/results"), "/results")) return reply;
    return show(request, reply, "/results", title("/results"), resultsPage(await resultsView(db, cycles.service)));
  });

  app.get(
    "/fatigue",
    { schema: { hide: true, querystring: z.object({ days: z.coerce.number().int().min(1).max(730).default(90) }) } },
    async (request, reply) => {
      if (!gate(request, reply, "read", title("/fatigue"), "/fatigue")) return reply;
      const to = new Date();
      return show(
        request,
        reply,
        "/fatigue",
        title("/fatigue"),
        fatiguePage(await metricsView(db, new Date(to.getTime() - request.query.days * DAY_MS), to)),
      );
    },
  );

  app.get("/models", hidden, async (request, reply) => {
    if (!gate(request, reply, "read", title("/models"), "/models")) return reply;
    return show(request, reply, "/models", title("/models"), modelsPage(await modelsView(db, cycles.service)));
  });

  app.get(
    "/audit",
    {
      schema: {
        hide: true,
        querystring: z.object({ customer: z.string().trim().max(200).optional(), cycle: z.string().trim().max(100).optional() }),
      },
    },
    async (request, reply) => {
      if (!gate(request, reply, "audit", title("/audit"), "/audit")) return reply;
      const { customer, cycle } = request.query;
      let why: WhyReport | null = null;
      let whyError: string | undefined;
      if (customer) {
        try {
          why = await whyCustomer(db, customer, cycle ? { cycleId: cycle } : {});
        } catch (err) {
          if (!(err instanceof NotFoundError)) throw err;
          whyError = err.message;
        }
      }
      const verify = await verifyAuditLog(db);
      return show(
        request,
        reply,
        "/audit",
        title("/audit"),
        auditPage({
          ...(customer ? { customerId: customer } : {}),
          ...(cycle ? { cycle } : {}),
          why,
          ...(whyError ? { whyError } : {}),
          ...(why ? { whyText: renderWhy(why) } : {}),
          verify,
        }),
      );
    },
  );

  app.get(
    "/audit/export",
    {
      schema: {
        hide: true,
        querystring: z.object({ from: z.string().max(40), to: z.string().max(40), format: z.enum(EXPORT_FORMATS).default("jsonl") }),
      },
    },
    async (request, reply) => {
      if (!gate(request, reply, "audit", title("/audit"), "/audit")) return reply;
      const range = parseExportRange(request.query.from, request.query.to);
      const format = request.query.format;
      reply
        .header("content-type", format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8")
        .header("content-disposition", `attachment; filename="pulse-audit.${format}"`);
      return reply.send(Readable.from(exportAuditLog(db, { ...range, format })));
    },
  );
}
