import type { Db } from "../store/db.js";
import { readAuditPage, type AuditRow } from "../store/audit-repo.js";
import { AuditExportRangeError } from "./audit-errors.js";

/**
 * Streams audit entries with from <= at < to, in seq order, as JSONL or CSV lines (each ending in
 * "\n"). Rows are read a page at a time by seq, so a long range never sits in memory, and prev_hash
 * and hash are included: an exported range can be re-verified against the chain.
 */

export const EXPORT_FORMATS = ["jsonl", "csv"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportOptions {
  from: Date;
  to: Date;
  format: ExportFormat;
  pageSize?: number;
}

export const CSV_COLUMNS = ["seq", "at", "kind", "actor", "cycle_id", "customer_id", "entry", "prev_hash", "hash"] as const;

export function toJsonlLine(r: AuditRow): string {
  return `${JSON.stringify({
    seq: r.seq,
    at: r.at.toISOString(),
    kind: r.kind,
    actor: r.actor,
    cycle_id: r.cycleId,
    customer_id: r.customerId,
    entry: r.entry,
    prev_hash: r.prevHash,
    hash: r.hash,
  })}\n`;
}

/** RFC 4180: quote a field holding a comma, quote, CR or LF; double inner quotes. Null is an empty field. */
export function csvField(value: string | number | null): string {
  if (value === null) return "";
  const s = String(value);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function toCsvLine(r: AuditRow): string {
  return `${[r.seq, r.at.toISOString(), r.kind, r.actor, r.cycleId, r.customerId, JSON.stringify(r.entry), r.prevHash, r.hash].map(csvField).join(",")}\n`;
}

export function parseExportRange(from: string, to: string): { from: Date; to: Date } {
  const f = new Date(from);
  const t = new Date(to);
  if (Number.isNaN(f.getTime())) throw new AuditExportRangeError(`--from: "${from}" is not an ISO-8601 date or instant`);
  if (Number.isNaN(t.getTime())) throw new AuditExportRangeError(`--to: "${to}" is not an ISO-8601 date or instant`);
  if (t.getTime() <= f.getTime()) throw new AuditExportRangeError(`--to (${t.toISOString()}) must be after --from (${f.toISOString()})`);
  return { from: f, to: t };
}

export async function* exportAuditLog(db: Db, options: ExportOptions): AsyncGenerator<string> {
  const pageSize = options.pageSize ?? 5_000;
  const line = options.format === "csv" ? toCsvLine : toJsonlLine;
  if (options.format === "csv") yield `${CSV_COLUMNS.join(",")}\n`;
  let after = 0;
  for (;;) {
    const page = await readAuditPage(db, after, pageSize, { from: options.from, to: options.to });
    if (page.length > 0) yield page.map(line).join("");
    if (page.length < pageSize) return;
    after = page.at(-1)!.seq;
  }
}
