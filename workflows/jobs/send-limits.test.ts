import { describe, expect, it } from "vitest";
import { InputError } from "../../core/errors.js";
import { parseSendLimit, parseSendLimits } from "./send-limits.js";

describe("parseSendLimit", () => {
  it("reads channel=max/duration with ms, s or m", () => {
    expect(parseSendLimit("sms=20/1000")).toEqual(["sms", { max: 20, durationMs: 1000 }]);
    expect(parseSendLimit("email=200/1s")).toEqual(["email", { max: 200, durationMs: 1000 }]);
    expect(parseSendLimit("in_app = 6000 / 1m")).toEqual(["in_app", { max: 6000, durationMs: 60_000 }]);
    expect(parseSendLimits(["push=5/1s", "sms=1/2s"])).toEqual({ push: { max: 5, durationMs: 1000 }, sms: { max: 1, durationMs: 2000 } });
  });

  it.each(["sms", "sms=20", "fax=1/1s", "sms=0/1s", "sms=-1/1s", "sms=1/1h"])("rejects %j", (spec) => {
    expect(() => parseSendLimit(spec)).toThrow(InputError);
  });
});
