import { createHmac } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import { can, type Action, type Actor } from "../../core/roles.js";
import type { Db } from "../../store/db.js";
import { authenticateToken } from "./tokens.js";

export type RequestActor = Actor & { tokenId: string };

declare module "fastify" {
  interface FastifyRequest {
    actor: RequestActor | null;
  }
}

export const SESSION_COOKIE = "pulse_session";

export function bearerOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match?.[1];
}

/** Who the request comes from: the bearer token, else the dashboard's session cookie. */
export async function identify(db: Db, request: FastifyRequest, options: { cookie: boolean }): Promise<RequestActor | null> {
  const token = bearerOf(request) ?? (options.cookie ? request.cookies[SESSION_COOKIE] : undefined);
  if (!token) return null;
  return (await authenticateToken(db, token)) ?? null;
}

/** The dashboard's CSRF token: derived from the session's token, so only its holder's pages carry it. */
export function csrfTokenFor(sessionToken: string): string {
  return createHmac("sha256", sessionToken).update("pulse-dashboard-csrf").digest("base64url");
}

/** A route onRequest hook (before the body is validated): 401 without a valid token, 403 when its role does not allow `action`. */
export function requireAction(action: Action) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (!request.actor)
      return reply
        .code(401)
        .header("www-authenticate", "Bearer")
        .send({ error: "unauthorized", message: "a valid bearer token is required" });
    if (!can(request.actor.role, action))
      return reply.code(403).send({ error: "forbidden", message: `role ${request.actor.role} may not ${action}` });
  };
}
