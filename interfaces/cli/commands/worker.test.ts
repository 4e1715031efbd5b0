import { describe, expect, it } from "vitest";
import { QUEUE_NAMES } from "../../../workflows/jobs/types.js";
import { concurrencyOf, DEFAULT_SEND_CONCURRENCY } from "./worker.js";

describe("pulse worker concurrency", () => {
  it("--concurrency alone applies to every queue; unset, sends run DEFAULT_SEND_CONCURRENCY at once and the rest one", () => {
    expect(concurrencyOf(4, undefined)).toBe(4);
    expect(concurrencyOf(undefined, undefined)).toEqual(
      Object.fromEntries(QUEUE_NAMES.map((q) => [q, q.startsWith("send-") ? DEFAULT_SEND_CONCURRENCY : 1])),
    );
  });

  it("--send-concurrency sets the send queues and leaves the others at --concurrency (or 1)", () => {
    const expected = (other: number) => Object.fromEntries(QUEUE_NAMES.map((q) => [q, q.startsWith("send-") ? 200 : other]));
    expect(concurrencyOf(undefined, 200)).toEqual(expected(1));
    expect(concurrencyOf(3, 200)).toEqual(expected(3));
  });
});
