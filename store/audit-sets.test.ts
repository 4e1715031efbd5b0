import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CUSTOMER_SET_KIND, expandCustomerSet, isCustomerSet, packCustomerEntries, type PackableEntry } from "./audit-sets.js";

const at = new Date("2025-01-01T00:00:00.000Z");
const holdout = (customerId: string, arm: string, bucket: number): PackableEntry => ({
  kind: "holdout",
  actor: "pulse",
  cycleId: "c-1",
  customerId,
  at,
  entry: { experimentId: "c-1.exp", arm, bucket, segmentId: "seg-1" },
});
const packable = (kind: string) => kind === "holdout" || kind === "eligibility";

describe("customer sets", () => {
  it("keeps the fields every member shares once and each customer's own beside its id", () => {
    const [set, ...rest] = packCustomerEntries(
      [holdout("a", "treatment", 0.5), holdout("b", "holdout", 0.05), holdout("c", "treatment", 0.7)],
      packable,
      100,
    );
    expect(rest).toEqual([]);
    expect(set).toMatchObject({ kind: CUSTOMER_SET_KIND, customerId: null, cycleId: "c-1", actor: "pulse", at });
    expect(set!.entry).toEqual({
      of: "holdout",
      shared: { experimentId: "c-1.exp", segmentId: "seg-1" },
      customers: ["a", "b", "c"],
      members: [
        { arm: "treatment", bucket: 0.5 },
        { arm: "holdout", bucket: 0.05 },
        { arm: "treatment", bucket: 0.7 },
      ],
    });
    expect(expandCustomerSet(set!, "b")).toEqual([holdout("b", "holdout", 0.05)]);
  });

  it("starts a new set at another kind, actor, cycle or time, at the size limit, and leaves what it may not pack", () => {
    const other = { ...holdout("x", "treatment", 0.1), kind: "plan", customerId: null };
    const later = { ...holdout("d", "treatment", 0.2), at: new Date(at.getTime() + 1) };
    const anotherCycle = { ...holdout("e", "treatment", 0.3), cycleId: "c-2" };
    const packed = packCustomerEntries(
      [
        holdout("a", "treatment", 0.5),
        holdout("b", "treatment", 0.6),
        holdout("c", "treatment", 0.7),
        other,
        later,
        anotherCycle,
        holdout("f", "treatment", 0.8),
      ],
      packable,
      2,
    );
    const who = (p: PackableEntry) =>
      p.kind === CUSTOMER_SET_KIND ? (p.entry as { customers: string[] }).customers.join("+") : (p.customerId ?? "-");
    expect(packed.map((p) => `${p.kind}:${who(p)}`)).toEqual([
      `${CUSTOMER_SET_KIND}:a+b`,
      "holdout:c",
      "plan:-",
      "holdout:d",
      "holdout:e",
      "holdout:f",
    ]);
  });

  it("reads a row that is not a well-formed set as it is", () => {
    const row = {
      ...holdout("a", "treatment", 0.5),
      kind: CUSTOMER_SET_KIND,
      customerId: null,
      entry: { of: "holdout", shared: {}, customers: ["a"], members: [] },
    };
    expect(isCustomerSet(row.kind, row.entry)).toBe(false);
    expect(expandCustomerSet(row)).toEqual([row]);
  });

  it("expands back to exactly the entries packed, in order, whatever they hold", () => {
    const value = fc.oneof(fc.constantFrom("email", "sms"), fc.boolean(), fc.integer({ min: 0, max: 3 }), fc.constant(null));
    const entry = fc.record({
      kind: fc.constantFrom("holdout", "eligibility", "plan"),
      actor: fc.constantFrom("pulse", "ann"),
      cycleId: fc.constantFrom("c-1", "c-2", null),
      customerId: fc.option(fc.constantFrom("a", "b", "c", "d"), { nil: null }),
      at: fc.constantFrom(at, new Date(at.getTime() + 1_000)),
      entry: fc.dictionary(fc.constantFrom("channel", "eligible", "arm", "bucket"), value),
    });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 30 }), fc.integer({ min: 1, max: 5 }), (entries, max) => {
        const packed: PackableEntry[] = packCustomerEntries(entries, packable, max);
        expect(packed.length).toBeLessThanOrEqual(entries.length);
        for (const p of packed) if (isCustomerSet(p.kind, p.entry)) expect(p.entry.customers.length).toBeLessThanOrEqual(max);
        expect(packed.flatMap((p) => expandCustomerSet(p))).toEqual(entries);
      }),
    );
  });
});
