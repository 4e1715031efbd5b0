import { createHash, randomBytes, randomUUID } from "node:crypto";
import { z } from "zod";
import { InputError } from "../../core/errors.js";
import { roleSchema, type Actor, type Role } from "../../core/roles.js";
import type { AuditLog } from "../../guardrails/audit.js";
import type { Db } from "../../store/db.js";
import { insertToken, listTokens, revokeToken, useTokenByHash, type TokenRow } from "../../store/tokens-repo.js";

/**
 * API tokens: 32 random bytes, shown once; the database keeps their SHA-256 only. A token's holder
 * acts as `token:<name>` with the token's role, in the audit log and before the cycle's guardrails.
 */

const PREFIX = "pulse_";

export const tokenNameSchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9._@-]{1,64}$/, "a name of 1 to 64 letters, digits or . _ @ -");

export const createTokenInputSchema = z.strictObject({ name: tokenNameSchema, role: roleSchema });
export type CreateTokenInput = z.infer<typeof createTokenInputSchema>;

export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

export function actorOfToken(t: Pick<TokenRow, "name" | "role">): Actor {
  return { id: `token:${t.name}`, role: t.role, name: t.name };
}

/** Creates a token (audited, with who created it) and returns the secret, which is never stored. */
export async function createApiToken(
  db: Db,
  audit: AuditLog,
  input: { name: string; role: Role },
  createdBy: string,
): Promise<{ token: string; tokenId: string; name: string; role: Role }> {
  const parsed = createTokenInputSchema.safeParse(input);
  if (!parsed.success) throw new InputError(parsed.error.issues.map((i) => `${i.path.join(".") || "token"}: ${i.message}`).join("; "));
  const { name, role } = parsed.data;
  const token = `${PREFIX}${randomBytes(32).toString("base64url")}`;
  const tokenId = `tok_${randomUUID().slice(0, 8)}`;
  const created = await db.transaction(async (client) => {
    if (!(await insertToken(client, { tokenId, name, role, tokenHash: hashToken(token), createdBy }))) return false;
    await audit.appendInTransaction(client, [{ kind: "access", actor: createdBy, entry: { event: "token_created", tokenId, name, role } }]);
    return true;
  });
  if (!created) throw new InputError(`a live token named "${name}" exists already (revoke it first: pulse token revoke ${name})`);
  return { token, tokenId, name, role };
}

/** The actor a presented token stands for; undefined when the token is unknown or revoked. */
export async function authenticateToken(db: Db, token: string): Promise<(Actor & { tokenId: string }) | undefined> {
  if (!token.startsWith(PREFIX) || token.length > 200) return undefined;
  const row = await useTokenByHash(db.pool, hashToken(token));
  return row ? { ...actorOfToken(row), tokenId: row.tokenId } : undefined;
}

export async function revokeApiToken(db: Db, audit: AuditLog, idOrName: string, revokedBy: string): Promise<TokenRow | undefined> {
  return db.transaction(async (client) => {
    const row = await revokeToken(client, idOrName);
    if (row)
      await audit.appendInTransaction(client, [
        { kind: "access", actor: revokedBy, entry: { event: "token_revoked", tokenId: row.tokenId, name: row.name, role: row.role } },
      ]);
    return row;
  });
}

export { listTokens };
