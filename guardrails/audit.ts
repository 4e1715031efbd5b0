import type pg from "pg";
import { systemClock, type Clock } from "../core/clock.js";
import { createGroupCommit } from "../core/group-commit.js";
import type { Db } from "../store/db.js";
import { insertAuditRows, lockAuditChain, readAuditHead, type AuditRow } from "../store/audit-repo.js";
import { packCustomerEntries } from "../store/audit-sets.js";
import { AUDIT_ENTRY_SCHEMAS, CUSTOMER_KINDS, CYCLE_KINDS, isAuditKind, type AuditKind, type NewAuditEntry } from "./audit-entries.js";
import { AuditEntryError } from "./audit-errors.js";
import { GENESIS_HASH, hashAuditEntry } from "./audit-hash.js";

/**
 * The append-only, hash-chained audit log. The database refuses UPDATE, DELETE and TRUNCATE on
 * audit_log; this module is the only writer, and chains each entry to the one before it (see
 * audit-hash.ts for exactly what is hashed). Appends take a transaction-scoped advisory lock and read
 * the head inside the same transaction, so concurrent writers in any number of processes queue up
 * instead of forking the chain; seq is assigned under that lock and is gap-free from 1.
 */

/** A validated entry, ready to chain. */
export interface PreparedAuditEntry {
  kind: AuditKind;
  actor: string;
  cycleId: string | null;
  customerId: string | null;
  at: Date;
  entry: unknown;
}

export interface AppendResult {
  /** Entries appended. */
  count: number;
  /** Rows written: fewer than `count` when entries were packed into customer sets. */
  rows?: number;
  /** Seq of the first and last entry written (undefined when nothing was appended). */
  firstSeq?: number;
  lastSeq?: number;
  /** The chain's head hash after this append. */
  headHash?: string;
}

export interface AuditLog {
  /**
   * One entry. Concurrent calls in a process are grouped into one transaction (group commit), in call
   * order; if that transaction fails, every append in the group fails with the same error.
   */
  append(entry: NewAuditEntry): Promise<AuditRow>;
  /**
   * Many entries in one transaction (one lock, chunked inserts): for a cycle's entries about each of
   * its customers. With `asSets`, runs of per-customer entries of one kind, actor, cycle and time are
   * stored as customer sets (store/audit-sets.ts), one row and one hash per run: each entry is
   * validated as it is, and readers see the entries one by one.
   */
  appendMany(entries: readonly NewAuditEntry[], options?: { asSets?: boolean }): Promise<AppendResult>;
  /**
   * Appends inside a transaction the caller already opened (`db.transaction(client => ...)`), so an
   * entry commits or rolls back with the change it records (e.g. an approval decision). The chain
   * lock is then held until the caller's transaction ends: keep such transactions short. `asSets`
   * packs as appendMany does; the rows written come back (a set is one row).
   */
  appendInTransaction(client: pg.PoolClient, entries: readonly NewAuditEntry[], options?: { asSets?: boolean }): Promise<AuditRow[]>;
}

const MAX_ID = 256;
const MAX_GROUP = 1_000;
/** Entries appendMany validates, chains and hands to the database at a time. */
const PIPELINE_CHUNK = 2_500;
/** With `asSets`, the per-customer entries packed into customer sets (store/audit-sets.ts), at most a pipeline chunk each. */
const asRows = (prepared: PreparedAuditEntry[], options: { asSets?: boolean }): PreparedAuditEntry[] =>
  options.asSets ? packCustomerEntries(prepared, (kind) => CUSTOMER_KINDS.has(kind as AuditKind), PIPELINE_CHUNK) : prepared;

/** Validates one entry against its kind's schema and normalises it to what jsonb will store. Pure. */
export function prepareAuditEntry(input: NewAuditEntry, now: Date): PreparedAuditEntry {
  const kind: string = input.kind;
  if (!isAuditKind(kind)) throw new AuditEntryError(`unknown audit entry kind "${kind}"`);
  if (typeof input.actor !== "string" || input.actor.length === 0 || input.actor.length > MAX_ID) {
    throw new AuditEntryError(`${kind}: actor must be a non-empty string of at most ${MAX_ID} characters`);
  }
  const cycleId = input.cycleId ?? null;
  const customerId = input.customerId ?? null;
  for (const [name, v] of [
    ["cycleId", cycleId],
    ["customerId", customerId],
  ] as const) {
    if (v !== null && (typeof v !== "string" || v.length === 0 || v.length > MAX_ID)) {
      throw new AuditEntryError(`${kind}: ${name} must be a non-empty string of at most ${MAX_ID} characters`);
    }
  }
  if (CUSTOMER_KINDS.has(kind) && customerId === null)
    throw new AuditEntryError(`${kind} entries are about one customer: customerId is required`);
  if (CYCLE_KINDS.has(kind) && cycleId === null) throw new AuditEntryError(`${kind} entries belong to a cycle: cycleId is required`);
  const at = input.at ?? now;
  if (!(at instanceof Date) || Number.isNaN(at.getTime())) throw new AuditEntryError(`${kind}: at is not a valid date`);

  const parsed = AUDIT_ENTRY_SCHEMAS[kind].safeParse(input.entry);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new AuditEntryError(`${kind} entry invalid at ${issue.path.join(".") || "(root)"}: ${issue.message}`, { cause: parsed.error });
  }
  // Round-trip through JSON so the value hashed is the value stored (no undefined, no Date objects).
  const json = JSON.stringify(parsed.data);
  // PostgreSQL's jsonb cannot hold U+0000.
  if (json.includes("\\u0000")) throw new AuditEntryError(`${kind} entry contains a NUL character, which the log cannot store`);
  return { kind, actor: input.actor, cycleId, customerId, at, entry: JSON.parse(json) as unknown };
}

/** Chains prepared entries onto a head. Pure. */
export function chainAuditEntries(head: { seq: number; hash: string } | undefined, entries: readonly PreparedAuditEntry[]): AuditRow[] {
  let seq = head?.seq ?? 0;
  let prevHash = head?.hash ?? GENESIS_HASH;
  return entries.map((e) => {
    seq += 1;
    const hash = hashAuditEntry(prevHash, { seq, ...e });
    const row: AuditRow = { seq, ...e, prevHash, hash };
    prevHash = hash;
    return row;
  });
}

export function createAuditLog(db: Db, clock: Clock = systemClock): AuditLog {
  async function appendPrepared(client: pg.PoolClient, prepared: readonly PreparedAuditEntry[]): Promise<AuditRow[]> {
    if (prepared.length === 0) return [];
    await lockAuditChain(client);
    const head = await readAuditHead(client);
    const rows = chainAuditEntries(head, prepared);
    await insertAuditRows(client, rows);
    return rows;
  }
  const prepareAll = (entries: readonly NewAuditEntry[]) => {
    const now = clock.now();
    return entries.map((e) => prepareAuditEntry(e, now));
  };

  // Group commit: appends made while one is being written go out together in the next transaction,
  // in call order, so many concurrent callers cost one lock and one commit per group, not each.
  const groups = createGroupCommit<PreparedAuditEntry, AuditRow>({
    maxGroup: MAX_GROUP,
    commit: async (group) => {
      const rows = await db.transaction((client) => appendPrepared(client, group));
      return rows.map((value) => ({ ok: true as const, value }));
    },
  });

  return {
    append(entry) {
      let prepared: PreparedAuditEntry;
      try {
        prepared = prepareAll([entry])[0]!;
      } catch (err) {
        return Promise.reject(err);
      }
      return groups.submit(prepared);
    },
    async appendMany(entries, options = {}) {
      if (entries.length === 0) return { count: 0, rows: 0 };
      const now = clock.now();
      let written = 0;
      const prepareChunk = (chunk: readonly NewAuditEntry[]) => {
        const rows = asRows(
          chunk.map((e) => prepareAuditEntry(e, now)),
          options,
        );
        written += rows.length;
        return rows;
      };
      return db.transaction(async (client) => {
        await lockAuditChain(client);
        let head = await readAuditHead(client);
        let firstSeq: number | undefined;
        // Pipelined: the database inserts one chunk while the next is validated and hashed here. A
        // chunk that does not validate throws; the transaction then rolls back and nothing is appended.
        let pending: Promise<void> | undefined;
        try {
          for (let i = 0; i < entries.length; i += PIPELINE_CHUNK) {
            const rows = chainAuditEntries(head, prepareChunk(entries.slice(i, i + PIPELINE_CHUNK)));
            firstSeq ??= rows[0]!.seq;
            head = { seq: rows.at(-1)!.seq, hash: rows.at(-1)!.hash };
            if (pending) await pending;
            pending = insertAuditRows(client, rows);
          }
          await pending;
        } catch (err) {
          await pending?.catch(() => {});
          throw err;
        }
        return { count: entries.length, rows: written, firstSeq, lastSeq: head!.seq, headHash: head!.hash };
      });
    },
    async appendInTransaction(client, entries, options = {}) {
      return appendPrepared(client, asRows(prepareAll(entries), options));
    },
  };
}

export type { AuditRow } from "../store/audit-repo.js";
