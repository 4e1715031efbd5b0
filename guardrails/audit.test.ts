import { describe, expect, it } from "vitest";
import type { NewAuditEntry } from "./audit-entries.js";
import { AuditEntryError } from "./audit-errors.js";
import { GENESIS_HASH } from "./audit-hash.js";
import { chainAuditEntries, prepareAuditEntry } from "./audit.js";
import { createChainVerifier } from "./audit-verify.js";

const now = new Date("2024-05-01T10:00:00.000Z");
const consent = {
  channel: "email",
  purpose: "marketing",
  status: "granted",
  source: "web",
  recordedAt: "2024-01-01T00:00:00.000Z",
} as const;
const send: NewAuditEntry = {
  kind: "send",
  actor: "pulse:activation",
  cycleId: "cy1",
  customerId: "c1",
  entry: {
    channel: "email",
    messageId: "m1",
    dedupeKey: "cy1:camp:c1:email",
    templateId: "t1",
    variantId: "a",
    prompt: { id: "copywriter", version: 2, hash: "abc" },
    offer: { type: "percent_off", depth: 0.15 },
    consentBasis: consent,
  },
};

describe("prepareAuditEntry", () => {
  it("validates, applies defaults and stamps the clock's time", () => {
    const p = prepareAuditEntry(
      { kind: "guardrail_verdict", actor: "pulse", entry: { check: "fairness", subject: "plan p1", passed: true } },
      now,
    );
    expect(p).toEqual({
      kind: "guardrail_verdict",
      actor: "pulse",
      cycleId: null,
      customerId: null,
      at: now,
      entry: { check: "fairness", subject: "plan p1", passed: true, reasons: [] },
    });
  });
  it("refuses unknown kinds, unknown keys, missing customer or cycle ids and NUL characters", () => {
    expect(() => prepareAuditEntry({ ...send, kind: "nope" } as unknown as NewAuditEntry, now)).toThrow(/unknown audit entry kind/);
    expect(() => prepareAuditEntry({ ...send, entry: { ...send.entry, email: "x@y" } } as NewAuditEntry, now)).toThrow(AuditEntryError);
    expect(() => prepareAuditEntry({ ...send, customerId: null }, now)).toThrow(/customerId is required/);
    expect(() => prepareAuditEntry({ ...send, cycleId: undefined }, now)).toThrow(/cycleId is required/);
    expect(() =>
      prepareAuditEntry(
        { kind: "suppression", actor: "p", customerId: "c1", entry: { channel: "all", reasonCode: "x", reason: "a\u0000b" } },
        now,
      ),
    ).toThrow(/NUL/);
    expect(() =>
      prepareAuditEntry({ ...send, entry: { ...send.entry, offer: { type: "percent_off", depth: 2 } } } as NewAuditEntry, now),
    ).toThrow(/offer.depth/);
  });
});

describe("chain and verifier", () => {
  const prepared = Array.from({ length: 5 }, (_, i) => prepareAuditEntry({ ...send, customerId: `c${i}` }, now));
  it("chains from genesis and verifies", () => {
    const rows = chainAuditEntries(undefined, prepared);
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(rows[0]!.prevHash).toBe(GENESIS_HASH);
    expect(rows[3]!.prevHash).toBe(rows[2]!.hash);
    const v = createChainVerifier();
    expect(rows.map((r) => v.check(r)).filter(Boolean)).toEqual([]);
    expect(v.head).toEqual({ seq: 5, hash: rows[4]!.hash });
  });
  it("continues from a head", () => {
    const first = chainAuditEntries(undefined, prepared.slice(0, 2));
    const rest = chainAuditEntries({ seq: 2, hash: first[1]!.hash }, prepared.slice(2));
    expect(rest[0]!.seq).toBe(3);
    expect([...first, ...rest]).toEqual(chainAuditEntries(undefined, prepared));
  });
  it("names an edited entry, a rewritten hash, and a missing entry", () => {
    const rows = chainAuditEntries(undefined, prepared);
    const check = (rs: typeof rows) => {
      const v = createChainVerifier();
      for (const r of rs) {
        const b = v.check(r);
        if (b) return b;
      }
      return undefined;
    };
    const edited = rows.map((r) => (r.seq === 3 ? { ...r, actor: "mallory" } : r));
    expect(check(edited)).toMatchObject({ seq: 3, problem: "hash_mismatch" });
    const rehashed = rows.map((r) => (r.seq === 3 ? { ...r, hash: "f".repeat(64) } : r));
    expect(check(rehashed)).toMatchObject({ seq: 3, problem: "hash_mismatch" });
    const relinked = rows.map((r) => (r.seq === 4 ? { ...r, prevHash: "e".repeat(64) } : r));
    expect(check(relinked)).toMatchObject({ seq: 4, problem: "prev_hash_mismatch" });
    expect(check(rows.filter((r) => r.seq !== 2))).toMatchObject({ seq: 3, problem: "seq_gap", expected: "2", found: "3" });
  });
});
