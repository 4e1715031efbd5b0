import { describe, expect, it } from "vitest";
import { z } from "zod";
import { parseJsonAnswer } from "./json-answer.js";

const schema = z.object({ n: z.number().int() });

describe("parseJsonAnswer", () => {
  it("accepts JSON, also inside a code fence", () => {
    expect(parseJsonAnswer('{"n": 3}', schema)).toEqual({ ok: true, value: { n: 3 } });
    expect(parseJsonAnswer('```json\n{"n": 4}\n```', schema)).toEqual({ ok: true, value: { n: 4 } });
  });

  it("explains empty, malformed and off-schema answers", () => {
    expect(parseJsonAnswer(null, schema)).toEqual({ ok: false, problem: "The answer was empty; a JSON object was expected." });
    const bad = parseJsonAnswer("{n: 3}", schema);
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.problem).toMatch(/^The answer was not valid JSON/);
    const off = parseJsonAnswer('{"n": 1.5}', schema);
    expect(!off.ok && off.problem).toMatch(/did not match the required schema[\s\S]*n/);
  });

  it("clips long problems", () => {
    const long = parseJsonAnswer(`{"n": "${"x".repeat(5_000)}`, schema);
    expect(!long.ok && long.problem.length).toBeLessThanOrEqual(601);
  });
});
