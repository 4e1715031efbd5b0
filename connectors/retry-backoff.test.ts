import { describe, expect, it } from "vitest";
import { backoffDelayMs, parseRetryAfterMs } from "./retry-backoff.js";

describe("backoffDelayMs", () => {
  const opts = { baseDelayMs: 500, maxDelayMs: 30_000 };
  it("doubles per attempt, jittered between half and all of the step", () => {
    expect([1, 2, 3, 4].map((a) => backoffDelayMs(a, opts, () => 0))).toEqual([250, 500, 1000, 2000]);
    expect([1, 2, 3, 4].map((a) => backoffDelayMs(a, opts, () => 0.999999))).toEqual([500, 1000, 2000, 4000]);
  });
  it("is capped at maxDelayMs", () => {
    expect(backoffDelayMs(30, opts, () => 1)).toBe(30_000);
    expect(backoffDelayMs(30, opts, () => 0)).toBe(15_000);
  });
});

describe("parseRetryAfterMs", () => {
  const now = new Date("2024-05-01T10:00:00Z");
  it("reads delta-seconds and HTTP dates", () => {
    expect(parseRetryAfterMs("120", now)).toBe(120_000);
    expect(parseRetryAfterMs(" 0 ", now)).toBe(0);
    expect(parseRetryAfterMs("Wed, 01 May 2024 10:01:00 GMT", now)).toBe(60_000);
    expect(parseRetryAfterMs("Wed, 01 May 2024 09:00:00 GMT", now)).toBe(0);
  });
  it("ignores what it cannot read", () => {
    for (const v of [null, undefined, "", "-5", "1.5", "soon", "2024-05-01"]) expect(parseRetryAfterMs(v, now)).toBeUndefined();
  });
});
