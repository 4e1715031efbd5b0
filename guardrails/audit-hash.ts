import { createHash } from "node:crypto";
import type { AuditRow } from "../store/audit-repo.js";
import { AuditEntryError } from "./audit-errors.js";

/**
 * What the audit chain hashes, exactly:
 *
 *   hash = lower-case hex SHA-256 of the UTF-8 bytes of  prev_hash + canonicalJson(body)
 *   body = { seq, at, kind, actor, cycle_id, customer_id, entry }
 *
 * - `seq` is the row's sequence number (an integer; the chain is gap-free from 1),
 * - `at` is the ISO-8601 UTC instant with milliseconds (`Date.prototype.toISOString()`),
 * - `cycle_id` and `customer_id` are strings or null (never omitted),
 * - `entry` is the JSON document as stored in the jsonb column.
 * - `prev_hash` is the previous row's `hash`, or GENESIS_HASH (64 zeros) for seq 1.
 *
 * Canonical JSON: object keys sorted by UTF-16 code units (JavaScript's default sort), recursively;
 * no whitespace; strings and numbers written as JSON.stringify writes them; keys whose value is
 * undefined are left out (as JSON.stringify does). For the values Pulse writes this is RFC 8785 (JCS).
 * Because jsonb reorders keys and re-spells numbers, the hash is computed over the parsed value, not
 * over the text: what a verifier reads back from the database hashes to the same string.
 */
export const GENESIS_HASH = "0".repeat(64);

/** What an entry's hash covers: its stored row without the two hashes. */
export type AuditHashBody = Omit<AuditRow, "prevHash" | "hash">;

export function canonicalJson(value: unknown): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isFinite(value)) throw new AuditEntryError(`cannot hash a non-finite number (${value})`);
      return JSON.stringify(value);
    case "object": {
      if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? "null" : canonicalJson(v))).join(",")}]`;
      if (value instanceof Date) return JSON.stringify(value.toISOString());
      const obj = value as Record<string, unknown>;
      const parts: string[] = [];
      for (const key of Object.keys(obj).sort()) {
        const v = obj[key];
        if (v === undefined) continue;
        parts.push(`${JSON.stringify(key)}:${canonicalJson(v)}`);
      }
      return `{${parts.join(",")}}`;
    }
    default:
      throw new AuditEntryError(`cannot hash a value of type ${typeof value}`);
  }
}

export function hashAuditEntry(prevHash: string, body: AuditHashBody): string {
  const canonical = canonicalJson({
    seq: body.seq,
    at: body.at.toISOString(),
    kind: body.kind,
    actor: body.actor,
    cycle_id: body.cycleId,
    customer_id: body.customerId,
    entry: body.entry,
  });
  return createHash("sha256").update(prevHash).update(canonical).digest("hex");
}

/** SHA-256 hex of a value's canonical JSON: the digest tool_call and measurement entries record. */
export function digestOf(value: unknown): string {
  return createHash("sha256").update(canonicalJson(value)).digest("hex");
}
