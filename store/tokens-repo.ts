import type { Role } from "../core/roles.js";
import type { Queryable } from "./db.js";

/** SQL for API tokens (table api_tokens, see 005-api-tokens.sql). Hashing lives in interfaces/http/tokens.ts. */

export interface TokenRow {
  tokenId: string;
  name: string;
  role: Role;
  createdBy: string;
  createdAt: Date;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

interface DbTokenRow {
  token_id: string;
  name: string;
  role: Role;
  created_by: string;
  created_at: Date;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

const COLUMNS = "token_id, name, role, created_by, created_at, revoked_at, last_used_at";

const toRow = (r: DbTokenRow): TokenRow => ({
  tokenId: r.token_id,
  name: r.name,
  role: r.role,
  createdBy: r.created_by,
  createdAt: r.created_at,
  revokedAt: r.revoked_at,
  lastUsedAt: r.last_used_at,
});

/** Inserts a token; false when a live token already has this name (nothing is written). */
export async function insertToken(
  db: Queryable,
  t: { tokenId: string; name: string; role: Role; tokenHash: string; createdBy: string },
): Promise<boolean> {
  const { rows } = await db.query(
    `INSERT INTO api_tokens (token_id, name, role, token_hash, created_by) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (name) WHERE revoked_at IS NULL DO NOTHING RETURNING token_id`,
    [t.tokenId, t.name, t.role, t.tokenHash, t.createdBy],
  );
  return rows.length === 1;
}

/** The live (not revoked) token with this hash, and notes when it was used. */
export async function useTokenByHash(db: Queryable, tokenHash: string): Promise<TokenRow | undefined> {
  const { rows } = await db.query<DbTokenRow>(
    `UPDATE api_tokens SET last_used_at = now() WHERE token_hash = $1 AND revoked_at IS NULL RETURNING ${COLUMNS}`,
    [tokenHash],
  );
  return rows[0] ? toRow(rows[0]) : undefined;
}

export async function listTokens(db: Queryable, options: { includeRevoked?: boolean } = {}): Promise<TokenRow[]> {
  const { rows } = await db.query<DbTokenRow>(
    `SELECT ${COLUMNS} FROM api_tokens ${options.includeRevoked ? "" : "WHERE revoked_at IS NULL"} ORDER BY created_at, token_id`,
  );
  return rows.map(toRow);
}

/** Revokes a live token by id or name; the revoked row, or undefined when no live token matched. */
export async function revokeToken(db: Queryable, idOrName: string): Promise<TokenRow | undefined> {
  const { rows } = await db.query<DbTokenRow>(
    `UPDATE api_tokens SET revoked_at = now() WHERE (token_id = $1 OR name = $1) AND revoked_at IS NULL RETURNING ${COLUMNS}`,
    [idOrName],
  );
  return rows[0] ? toRow(rows[0]) : undefined;
}
