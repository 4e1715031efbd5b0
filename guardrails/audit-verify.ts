import type { Db } from "../store/db.js";
import { readAuditPage, type AuditRow } from "../store/audit-repo.js";
import { isCustomerSet } from "../store/audit-sets.js";
import { GENESIS_HASH, hashAuditEntry } from "./audit-hash.js";

/**
 * Walks the audit chain in seq order, a page at a time (memory stays flat for millions of entries),
 * and names the first entry that does not hold. Per entry, in this order:
 *   1. seq_gap             seq is not the previous seq + 1 (the first is 1): entries were removed or renumbered;
 *   2. prev_hash_mismatch  prev_hash is not the previous entry's hash (64 zeros for the first): the link
 *                          is broken, so this entry or the one before it was rewritten or removed;
 *   3. hash_mismatch       the hash recomputed from the entry's columns differs from its stored hash:
 *                          this entry's content was changed after it was written.
 * A chain that ends early cannot be told from a shorter log by the chain alone: compare the head
 * (seq and hash, returned) with one recorded elsewhere to detect removal of the newest entries.
 */

export type AuditBreakProblem = "seq_gap" | "prev_hash_mismatch" | "hash_mismatch";

export interface AuditBreak {
  seq: number;
  problem: AuditBreakProblem;
  message: string;
  expected: string;
  found: string;
}

export interface AuditVerifyResult {
  ok: boolean;
  /** Entries checked and found sound (all of them when ok); a customer set's members count one each. */
  entries: number;
  /** Rows (links of the chain) checked and found sound: fewer than `entries` when the log holds sets. */
  rows: number;
  /** The last sound entry. */
  head?: { seq: number; hash: string };
  break?: AuditBreak;
}

/** The per-entry check, fed in seq order. Pure; keeps only the previous entry's seq and hash. */
export function createChainVerifier(): {
  check(row: AuditRow): AuditBreak | undefined;
  /** Rows found sound so far. */
  readonly checked: number;
  /** Entries those rows hold (store/audit-sets.ts). */
  readonly entries: number;
  readonly head: { seq: number; hash: string } | undefined;
} {
  let prev: { seq: number; hash: string } | undefined;
  let checked = 0;
  let entries = 0;
  return {
    check(row) {
      const expectedSeq = (prev?.seq ?? 0) + 1;
      if (row.seq !== expectedSeq) {
        const message =
          row.seq > expectedSeq
            ? `seq gap: expected seq ${expectedSeq}, found ${row.seq} (${row.seq - expectedSeq} entr${row.seq - expectedSeq === 1 ? "y" : "ies"} missing)`
            : `seq out of order: expected seq ${expectedSeq}, found ${row.seq}`;
        return { seq: row.seq, problem: "seq_gap", message, expected: String(expectedSeq), found: String(row.seq) };
      }
      const expectedPrev = prev?.hash ?? GENESIS_HASH;
      if (row.prevHash !== expectedPrev) {
        const what = prev ? `the hash of seq ${prev.seq}` : "the genesis hash";
        return {
          seq: row.seq,
          problem: "prev_hash_mismatch",
          message: `prev_hash link broken: prev_hash ${short(row.prevHash)} is not ${what} (${short(expectedPrev)}); this entry or the one before it was altered`,
          expected: expectedPrev,
          found: row.prevHash,
        };
      }
      let recomputed: string;
      try {
        recomputed = hashAuditEntry(row.prevHash, row);
      } catch (err) {
        recomputed = `(unhashable: ${(err as Error).message})`;
      }
      if (recomputed !== row.hash) {
        return {
          seq: row.seq,
          problem: "hash_mismatch",
          message: `hash mismatch: the stored hash ${short(row.hash)} does not match the entry's content (recomputed ${short(recomputed)}); the ${row.kind} entry was changed after it was written`,
          expected: recomputed,
          found: row.hash,
        };
      }
      prev = { seq: row.seq, hash: row.hash };
      checked += 1;
      entries += isCustomerSet(row.kind, row.entry) ? row.entry.customers.length : 1;
      return undefined;
    },
    get checked() {
      return checked;
    },
    get entries() {
      return entries;
    },
    get head() {
      return prev;
    },
  };
}

export interface VerifyOptions {
  pageSize?: number;
  onProgress?: (checked: number) => void;
}

export async function verifyAuditLog(db: Db, options: VerifyOptions = {}): Promise<AuditVerifyResult> {
  const pageSize = options.pageSize ?? 5_000;
  const verifier = createChainVerifier();
  let pending = readAuditPage(db, 0, pageSize);
  for (;;) {
    const page = await pending;
    // The next page is read while this one is hashed.
    const more = page.length === pageSize;
    if (more) {
      pending = readAuditPage(db, page.at(-1)!.seq, pageSize);
      pending.catch(() => {});
      // Let the query go out before this thread is busy hashing.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    for (const row of page) {
      const broken = verifier.check(row);
      if (broken) {
        if (more) await pending.catch(() => {});
        return { ok: false, entries: verifier.entries, rows: verifier.checked, head: verifier.head, break: broken };
      }
    }
    options.onProgress?.(verifier.checked);
    if (!more) break;
  }
  return { ok: true, entries: verifier.entries, rows: verifier.checked, head: verifier.head };
}

/** "N entries", and the rows they are stored in when sets hold some of them. */
export function verifiedCount(r: Pick<AuditVerifyResult, "entries" | "rows">): string {
  return r.rows === r.entries ? `${r.entries} entries` : `${r.entries} entries in ${r.rows} rows`;
}

function short(hash: string): string {
  return hash.length > 16 ? `${hash.slice(0, 12)}…` : hash;
}
