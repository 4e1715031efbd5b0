/**
 * Customer entry sets: how the audit log stores many per-customer entries of one kind as one row.
 * A cycle writes a few entries per customer (segment assignment, eligibility, holdout arm): as rows
 * of their own that is millions of rows, index entries and hashes at a million customers. A set row
 * (kind `customer_entries`) holds a run of entries that share kind, actor, cycle and time: the fields
 * equal in all of them once (`shared`), each customer's other fields beside its id. It is one link
 * of the hash chain, so editing any member breaks the chain like editing a row would.
 *
 * Readers see no difference: `expandCustomerSet` turns a set row back into the entries it holds,
 * each with the set's seq and hash (the evidence a reviewer checks). Pure.
 */

export const CUSTOMER_SET_KIND = "customer_entries";

/** A set row's entry: `customers[i]`'s entry is `{ ...shared, ...members[i] }`. */
export interface CustomerSetEntry {
  of: string;
  shared: Record<string, unknown>;
  customers: string[];
  members: Record<string, unknown>[];
}

/** The part of an entry packing looks at (prepared entries: validated, JSON-normal). */
export interface PackableEntry {
  kind: string;
  actor: string;
  cycleId: string | null;
  customerId: string | null;
  at: Date;
  entry: unknown;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function sameRun(a: PackableEntry, b: PackableEntry): boolean {
  return a.kind === b.kind && a.actor === b.actor && a.cycleId === b.cycleId && a.at.getTime() === b.at.getTime();
}

/** One set of a run of at least two entries: the fields equal (as JSON) in every one are shared. */
function setOf<E extends PackableEntry>(run: readonly E[]): E {
  const first = run[0]!.entry as Record<string, unknown>;
  const shared: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(first)) {
    const json = JSON.stringify(value);
    if (run.every((e) => Object.hasOwn(e.entry as object, key) && JSON.stringify((e.entry as Record<string, unknown>)[key]) === json))
      shared[key] = value;
  }
  const members = run.map((e) => {
    const own: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(e.entry as Record<string, unknown>)) if (!Object.hasOwn(shared, key)) own[key] = value;
    return own;
  });
  const entry: CustomerSetEntry = { of: run[0]!.kind, shared, customers: run.map((e) => e.customerId!), members };
  return { ...run[0]!, kind: CUSTOMER_SET_KIND, customerId: null, entry };
}

/**
 * Packs consecutive per-customer entries of the kinds `packable` accepts into sets of at most
 * `maxMembers`, in order; anything else, and a run of one, stays as it is.
 */
export function packCustomerEntries<E extends PackableEntry>(
  entries: readonly E[],
  packable: (kind: string) => boolean,
  maxMembers: number,
): E[] {
  const out: E[] = [];
  let run: E[] = [];
  const flush = () => {
    if (run.length === 1) out.push(run[0]!);
    else if (run.length > 1) out.push(setOf(run));
    run = [];
  };
  for (const e of entries) {
    if (!packable(e.kind) || e.customerId === null || !isPlainObject(e.entry)) {
      flush();
      out.push(e);
      continue;
    }
    if (run.length > 0 && (!sameRun(run[0]!, e) || run.length >= maxMembers)) flush();
    run.push(e);
  }
  flush();
  return out;
}

/** Whether an entry is a well-formed set (a row written by something else is read as it is). */
export function isCustomerSet(kind: string, entry: unknown): entry is CustomerSetEntry {
  if (kind !== CUSTOMER_SET_KIND || !isPlainObject(entry)) return false;
  const { of, shared, customers, members } = entry;
  return (
    typeof of === "string" &&
    isPlainObject(shared) &&
    Array.isArray(customers) &&
    Array.isArray(members) &&
    customers.length === members.length &&
    customers.every((c) => typeof c === "string") &&
    members.every(isPlainObject)
  );
}

/**
 * The entries a row holds: a set row's members (only `customerId`'s when given), each as the row it
 * was before packing but with the set's seq and hashes; any other row as it is.
 */
export function expandCustomerSet<R extends PackableEntry>(row: R, customerId?: string): R[] {
  if (!isCustomerSet(row.kind, row.entry)) return [row];
  const set = row.entry;
  const out: R[] = [];
  set.customers.forEach((c, i) => {
    if (customerId === undefined || c === customerId)
      out.push({ ...row, kind: set.of, customerId: c, entry: { ...set.shared, ...set.members[i] } });
  });
  return out;
}
