import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { canonicalJson, digestOf, GENESIS_HASH, hashAuditEntry } from "./audit-hash.js";

describe("canonicalJson", () => {
  it("sorts keys recursively, drops undefined, writes no whitespace", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: true, y: null }], c: "x" }, u: undefined })).toBe(
      '{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1}',
    );
  });
  it("is independent of key insertion order", () => {
    expect(canonicalJson({ x: 1, y: { p: 1, q: 2 } })).toBe(canonicalJson({ y: { q: 2, p: 1 }, x: 1 }));
  });
  it("escapes strings as JSON does and spells numbers as JSON.stringify", () => {
    expect(canonicalJson({ s: 'a"b\n\u00e9', n: 1e-7, m: 0.1, k: -0 })).toBe('{"k":0,"m":0.1,"n":1e-7,"s":"a\\"b\\né"}');
  });
  it("refuses non-finite numbers", () => {
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(/non-finite/);
  });
  it("survives a JSON round trip (what jsonb gives back)", () => {
    const v = { z: [1.5, "x"], a: { nested: { deep: 12345678901234 } } };
    expect(canonicalJson(JSON.parse(JSON.stringify(v)))).toBe(canonicalJson(v));
  });
});

describe("hashAuditEntry", () => {
  const body = {
    seq: 1,
    at: new Date("2024-05-01T10:00:00.000Z"),
    kind: "cycle",
    actor: "pulse",
    cycleId: "c1",
    customerId: null,
    entry: { event: "started" },
  };
  it("is SHA-256 over prev_hash followed by the canonical JSON of the body", () => {
    const expected = createHash("sha256")
      .update(
        `${GENESIS_HASH}{"actor":"pulse","at":"2024-05-01T10:00:00.000Z","customer_id":null,"cycle_id":"c1","entry":{"event":"started"},"kind":"cycle","seq":1}`,
      )
      .digest("hex");
    expect(hashAuditEntry(GENESIS_HASH, body)).toBe(expected);
    expect(GENESIS_HASH).toMatch(/^0{64}$/);
  });
  it("changes when any field or the previous hash changes", () => {
    const h = hashAuditEntry(GENESIS_HASH, body);
    expect(hashAuditEntry("f".repeat(64), body)).not.toBe(h);
    expect(hashAuditEntry(GENESIS_HASH, { ...body, seq: 2 })).not.toBe(h);
    expect(hashAuditEntry(GENESIS_HASH, { ...body, customerId: "x" })).not.toBe(h);
    expect(hashAuditEntry(GENESIS_HASH, { ...body, entry: { event: "failed" } })).not.toBe(h);
  });
  it("digestOf is a 64-hex digest independent of key order", () => {
    expect(digestOf({ a: 1, b: 2 })).toMatch(/^[0-9a-f]{64}$/);
    expect(digestOf({ a: 1, b: 2 })).toBe(digestOf({ b: 2, a: 1 }));
  });
});
