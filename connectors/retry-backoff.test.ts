import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { backoffDelayMs, isRetryableHttpStatus, parseRetryAfterMs, retryWait } from "./retry-backoff.js";

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

describe("isRetryableHttpStatus", () => {
  it("retries 408, 429 and 5xx, nothing else", () => {
    expect([408, 429, 500, 502, 503, 504, 599].map(isRetryableHttpStatus)).toEqual(Array(7).fill(true));
    expect([301, 302, 400, 401, 403, 404, 409, 410, 413, 422, 451].map(isRetryableHttpStatus)).toEqual(Array(11).fill(false));
  });
});

describe("retryWait", () => {
  const opts = { baseDelayMs: 500, maxDelayMs: 30_000, maxRetryAfterMs: 60_000 };
  it("waits the receiver's Retry-After up to the cap, and hands longer ones back to the queue", () => {
    expect(retryWait(1, 7_000, opts, () => 0.5)).toEqual({ kind: "wait", ms: 7_000 });
    expect(retryWait(3, 60_000, opts, () => 0.5)).toEqual({ kind: "wait", ms: 60_000 });
    expect(retryWait(1, 60_001, opts, () => 0.5)).toEqual({ kind: "hand_back", ms: 60_001 });
    expect(retryWait(1, 0, opts, () => 0.5)).toEqual({ kind: "wait", ms: 0 });
  });
  it("without Retry-After, backs off with jitter: within [step/2, step], step doubling up to the cap", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (attempt, r) => {
        const w = retryWait(attempt, undefined, opts, () => r);
        const step = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** (attempt - 1));
        expect(w.kind).toBe("wait");
        expect(w.ms).toBeGreaterThanOrEqual(Math.round(step / 2));
        expect(w.ms).toBeLessThanOrEqual(step);
      }),
    );
    // Two clients failing together spread out.
    expect(retryWait(3, undefined, opts, () => 0.1).ms).not.toBe(retryWait(3, undefined, opts, () => 0.9).ms);
  });
});
