import { isDeepStrictEqual } from "node:util";
import { describe, expect, it } from "vitest";
import { chatAudiencesPath, chatEvalPath, chatExamplesPath, loadLabeled, runChatEval } from "../../../evals/chat-understanding.js";
import { PARAMS_SCHEMAS } from "../params.js";
import { understandOffline } from "./understand-offline.js";

describe("offline understanding", () => {
  it("gets every intent and listed parameter of the public examples right", async () => {
    const examples = await loadLabeled(chatExamplesPath);
    expect(examples.length).toBe(20);
    const wrong: string[] = [];
    for (const ex of examples) {
      const got = await understandOffline(ex.text, { now: new Date() });
      const ok = got.intent === ex.intent && Object.entries(ex.params).every(([k, v]) => isDeepStrictEqual(got.params[k], v));
      if (!ok) wrong.push(`${ex.text} → ${got.intent} ${JSON.stringify(got.params)}`);
    }
    expect(wrong).toEqual([]);
  });

  it("reads the evaluation set at 90% or better (intents and parameters)", async () => {
    const report = await runChatEval({ path: chatEvalPath });
    expect(report.requests).toBeGreaterThanOrEqual(150);
    expect(report.intent.rate).toBeGreaterThanOrEqual(0.9);
    expect(report.params.rate).toBeGreaterThanOrEqual(0.9);
    // every intent is represented
    expect(report.perIntent.length).toBe(15);
  });

  it("reads requests to stop messaging a named audience as suppression briefs, not overviews or global pauses", async () => {
    const report = await runChatEval({ path: chatAudiencesPath });
    expect(report.requests).toBe(16);
    expect(report.failures.map((f) => f.text)).toEqual([]);
  });

  it("extracts only parameters its intent's schema accepts", async () => {
    const labels = [...(await loadLabeled(chatEvalPath)), ...(await loadLabeled(chatExamplesPath))];
    const bad: string[] = [];
    for (const l of labels) {
      const got = await understandOffline(l.text, { now: new Date("2026-01-07T12:00:00Z") });
      const r = PARAMS_SCHEMAS[got.intent].safeParse(got.params);
      if (!r.success) bad.push(`${l.text}: ${r.error.message}`);
    }
    expect(bad).toEqual([]);
  });
});
