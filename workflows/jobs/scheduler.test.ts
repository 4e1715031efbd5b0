import { describe, expect, it } from "vitest";
import { InvalidCronError } from "./job-errors.js";
import { validateCron } from "./scheduler.js";

describe("validateCron", () => {
  const now = new Date("2025-01-06T08:00:00Z"); // a Monday

  it("accepts 5-field, 6-field and predefined patterns and returns the next firings", () => {
    expect(validateCron({ pattern: "0 9 * * 1", now })).toEqual({
      next: new Date("2025-01-06T09:00:00Z"),
      after: new Date("2025-01-13T09:00:00Z"),
    });
    expect(validateCron({ pattern: "0 0 9 * * *", now }).next).toEqual(new Date("2025-01-06T09:00:00Z"));
    expect(validateCron({ pattern: "@daily", now }).next).toEqual(new Date("2025-01-07T00:00:00Z"));
    expect(validateCron({ pattern: "0 9 * * 1", tz: "Europe/Paris", now: new Date("2025-01-06T07:00:00Z") }).next).toEqual(
      new Date("2025-01-06T08:00:00Z"),
    );
  });

  it.each([
    ["", /expected 5 fields/],
    ["* * * *", /expected 5 fields/],
    ["not a cron", /expected 5 fields/],
    ["61 * * * *", /invalid cron "61 \* \* \* \*": .*59/],
    ["0 9 * * funday", /invalid cron/],
    ["* * * * *", /fires every 60s|minimum/],
    ["* * * * * *", /fires every 1s; the minimum is 120s/],
  ])("rejects %j", (pattern, message) => {
    const attempt = () => validateCron({ pattern, now, minIntervalMs: 120_000 });
    expect(attempt).toThrow(InvalidCronError);
    expect(attempt).toThrow(message);
  });

  it("rejects an unknown time zone", () => {
    expect(() => validateCron({ pattern: "0 9 * * 1", tz: "Mars/Olympus", now })).toThrow(InvalidCronError);
  });
});
