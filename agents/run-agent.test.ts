import { z } from "zod";
import { describe, expect, it } from "vitest";
import { LlmTimeoutError } from "./llm/errors.js";
import type { LlmClient } from "./llm/types.js";
import { runAgent } from "./run-agent.js";

const prompt = () => ({ ref: { id: "p", version: 1, hash: "h" }, system: "s", user: "u" }) as never;

function client(answer: () => Promise<unknown>): LlmClient {
  return { model: "m", completeJson: async () => ({ value: await answer(), record: {} as never }) } as unknown as LlmClient;
}

describe("runAgent", () => {
  const schema = z.object({ pick: z.string() });
  const base = { agent: "a", prompt, schema, offline: () => "offline" };

  it("falls back with the failure's class: the LLM call failed", async () => {
    const failing = client(() => Promise.reject(new LlmTimeoutError(800)));
    const { output, provenance } = await runAgent({ ...base, llm: failing, accept: (a) => a.pick });
    expect(output).toBe("offline");
    expect(provenance).toMatchObject({ source: "offline", fallbackKind: "timeout", fallbackReason: "LLM request timed out after 800 ms" });
  });

  it("falls back as invalid_answer when the agent's own checks refuse the answer", async () => {
    const answering = client(async () => ({ pick: "not an option" }));
    const accept = (a: { pick: string }) => {
      throw new Error(`${a.pick} is not a listed option`);
    };
    const { provenance } = await runAgent({ ...base, llm: answering, accept });
    expect(provenance).toMatchObject({
      source: "offline",
      fallbackKind: "invalid_answer",
      fallbackReason: "not an option is not a listed option",
    });
  });

  it("has no fallback reason without an LLM, and none when the answer is used", async () => {
    expect((await runAgent({ ...base, accept: (a) => a.pick })).provenance).toEqual({ source: "offline" });
    const used = await runAgent({ ...base, llm: client(async () => ({ pick: "x" })), accept: (a) => a.pick });
    expect(used).toMatchObject({ output: "x", provenance: { source: "llm" } });
    expect(used.provenance.fallbackKind).toBeUndefined();
  });
});
