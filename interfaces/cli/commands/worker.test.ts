import { describe, expect, it } from "vitest";
import { QUEUE_NAMES } from "../../../workflows/jobs/types.js";
import { concurrencyOf, DEFAULT_ACTIVATION_CONCURRENCY, DEFAULT_SEND_CONCURRENCY } from "./worker.js";

describe("pulse worker concurrency", () => {
  it("--concurrency alone applies to every queue; unset, sends run DEFAULT_SEND_CONCURRENCY at once, activation DEFAULT_ACTIVATION_CONCURRENCY and the rest one", () => {
    expect(concurrencyOf(4, undefined)).toBe(4);
    expect(concurrencyOf(undefined, undefined)).toEqual(
      Object.fromEntries(
        QUEUE_NAMES.map((q) => [
          q,
          q.startsWith("send-") ? DEFAULT_SEND_CONCURRENCY : q === "activation" ? DEFAULT_ACTIVATION_CONCURRENCY : 1,
        ]),
      ),
    );
  });

  it("--send-concurrency sets the send queues and leaves the others at --concurrency (or their defaults)", () => {
    const expected = (other: number, activation = other) =>
      Object.fromEntries(QUEUE_NAMES.map((q) => [q, q.startsWith("send-") ? 200 : q === "activation" ? activation : other]));
    expect(concurrencyOf(undefined, 200)).toEqual(expected(1, DEFAULT_ACTIVATION_CONCURRENCY));
    expect(concurrencyOf(3, 200)).toEqual(expected(3));
  });
});
