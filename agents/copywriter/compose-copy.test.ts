import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { InputError } from "../../core/errors.js";
import type { LlmCallRecord, LlmClient, LlmJsonRequest, LlmJsonResult } from "../llm/types.js";
import { type CopyCache, composeCopy } from "./compose-copy.js";

type Request = LlmJsonRequest<z.ZodType>;

/** An in-memory LlmClient: answers with `reply`, validated by the request's schema like the real client. */
function fakeLlm(reply: (req: Request, call: number) => unknown, options: { fail?: boolean } = {}) {
  const requests: Request[] = [];
  const client: LlmClient = {
    model: "fake-model",
    async completeJson<S extends z.ZodType>(req: LlmJsonRequest<S>): Promise<LlmJsonResult<z.infer<S>>> {
      requests.push(req);
      if (options.fail) throw new Error("model unavailable");
      const value = req.schema.parse(reply(req, requests.length)) as z.infer<S>;
      const record: LlmCallRecord = {
        agent: req.agent,
        model: "fake-model",
        prompt: req.prompt,
        attempts: 1,
        ok: true,
        usage: { promptTokens: 10, completionTokens: 10, costUsd: 0 },
        latencyMs: 1,
        redactedPrompt: req.user,
        redactedAnswer: JSON.stringify(value),
      };
      return { value, record };
    },
  };
  return { client, requests };
}

const brand = { name: "Northwind", tone: "warm, plain-spoken", bannedWords: ["cheap", "hurry"] };
const segment = (segmentId: string, name = "Dormant Loyalists") => ({
  segmentId,
  name,
  size: 1200,
  profileWords: ["used to buy every 3-4 weeks", "mostly grocery", "no order for 60 days"],
});
const good = (i: number) => ({
  title: `{{first_name}}, 15% off pick ${i}`,
  body: `Your code {{offer_code}} works on {{category}} (${i}).`,
});
const wrongDiscount = { title: "{{first_name}}, 20% off today", body: "Code {{offer_code}} on {{category}}." };

const base = { channel: "push" as const, strategy: "winback" as const, offer: { depth: 0.15, maxDepth: 0.2 }, variants: 3, brand };

describe("composeCopy: offline policy twin", () => {
  it("returns the library variants for the strategy and channel, all passing QA", async () => {
    const r = await composeCopy({ ...base, segments: [segment("s1"), segment("s2")] });
    expect(r.source).toBe("offline");
    expect(r.llm).toEqual({ calls: 0, cacheHits: 0, records: [] });
    expect(r.segments).toHaveLength(2);
    const s1 = r.segments[0]!;
    expect(s1.variants.length).toBeGreaterThanOrEqual(6);
    for (const v of s1.variants) {
      expect(v).toMatchObject({ source: "offline", channel: "push", strategy: "winback", offerDepth: 0.15 });
      expect(v.variantId).toMatch(/^winback\.push\.\d+$/);
      expect(v.qa.ok).toBe(true);
      expect(v.prompt).toBeUndefined();
    }
    expect(r.variants.map((v) => v.segmentId)).toEqual([...s1.variants.map(() => "s1"), ...r.segments[1]!.variants.map(() => "s2")]);
  });

  it("leaves out library variants the brand's banned words rule out", async () => {
    const r = await composeCopy({ ...base, brand: { ...brand, bannedWords: ["miss"] }, segments: [segment("s1")] });
    const s = r.segments[0]!;
    expect(s.libraryExcluded.map((e) => e.variantId)).toEqual(["winback.push.1"]);
    expect(s.variants.some((v) => JSON.stringify(v.fields).toLowerCase().includes("miss"))).toBe(false);
  });

  it("writes nothing for cooldown and suppress", async () => {
    for (const strategy of ["cooldown", "suppress"] as const) {
      const { client, requests } = fakeLlm(() => ({ variants: [good(1)] }));
      const r = await composeCopy({ ...base, strategy, segments: [segment("s1")], llm: client });
      expect(r.skipped).toBe("no_send_strategy");
      expect(r.variants).toEqual([]);
      expect(requests).toHaveLength(0);
    }
  });

  it("rejects invalid input", async () => {
    await expect(composeCopy({ ...base, variants: 0, segments: [segment("s1")] })).rejects.toBeInstanceOf(InputError);
    await expect(composeCopy({ ...base, offer: { depth: 1.5 }, segments: [segment("s1")] })).rejects.toBeInstanceOf(InputError);
  });
});

describe("composeCopy: LLM path", () => {
  it("makes one call per segment returning all its variants, recorded with the prompt that wrote them", async () => {
    const { client, requests } = fakeLlm(() => ({ variants: [good(1), good(2), good(3)] }));
    const calls: LlmCallRecord[] = [];
    const r = await composeCopy({
      ...base,
      segments: [segment("s1", "Dormant Loyalists"), segment("s2", "Hibernating")],
      llm: client,
      onCall: (rec) => void calls.push(rec),
    });
    expect(r.source).toBe("llm");
    expect(requests).toHaveLength(2);
    expect(calls).toHaveLength(2);
    expect(r.llm).toMatchObject({ calls: 2, cacheHits: 0 });
    expect(requests[0]!.agent).toBe("copywriter");
    const s1 = r.segments[0]!;
    expect(s1.variants).toHaveLength(3);
    expect(s1.attempts).toBe(1);
    expect(s1.replaced).toEqual([]);
    for (const v of s1.variants) {
      expect(v.source).toBe("llm");
      expect(v.variantId).toMatch(/^llm\.[0-9a-f]{16}$/);
      expect(v.prompt).toEqual({ id: "copywriter", version: 1, hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
      expect(v.qa.ok).toBe(true);
    }
    expect(s1.variants[0]!.fields).toEqual(good(1));
    expect(requests[0]!.prompt).toEqual(s1.variants[0]!.prompt);
  });

  it("tells the model the offer, placeholders, limits and banned words", async () => {
    const { client, requests } = fakeLlm(() => ({ variants: [good(1), good(2), good(3)] }));
    await composeCopy({ ...base, segments: [segment("s1")], llm: client });
    const { system, user } = requests[0]!;
    expect(system).toContain("exactly 15% off");
    for (const p of ["{{first_name}}", "{{category}}", "{{offer_code}}"]) expect(system).toContain(p);
    expect(system).not.toContain("{{unsubscribe_url}}");
    expect(system).toContain('"title" (at most 40 characters)');
    expect(system).toContain('"cheap", "hurry"');
    expect(user).toContain("Segment: Dormant Loyalists (1200 customers)");
    expect(user).toContain("- mostly grocery");
    expect(user).toContain("Goal (winback)");
  });

  it("serves identical prompts from the cache and reports the hits", async () => {
    const { client, requests } = fakeLlm(() => ({ variants: [good(1), good(2), good(3)] }));
    const cache: CopyCache = new Map();
    // Same profile under two segment ids: the same prompt.
    const r = await composeCopy({ ...base, segments: [segment("s1"), segment("s2")], llm: client, cache });
    expect(requests).toHaveLength(1);
    expect(r.llm).toMatchObject({ calls: 1, cacheHits: 1 });
    expect(r.segments[1]!.cacheHits).toBe(1);
    expect(r.segments[1]!.variants.map((v) => v.variantId)).toEqual(r.segments[0]!.variants.map((v) => v.variantId));
    // A later run with the same cache makes no call at all.
    const again = await composeCopy({ ...base, segments: [segment("s3")], llm: client, cache });
    expect(requests).toHaveLength(1);
    expect(again.llm).toMatchObject({ calls: 0, cacheHits: 1 });
  });

  it("regenerates a failing variant with the QA reasons, then replaces it from the library after the bound", async () => {
    const { client, requests } = fakeLlm((req) => {
      const asked = Number(/Write (\d+) variants for this segment/.exec(req.user)![1]);
      return { variants: asked === 3 ? [good(1), wrongDiscount, good(3)] : [wrongDiscount] };
    });
    const r = await composeCopy({ ...base, segments: [segment("s1")], llm: client, maxRegenerations: 2 });
    const s = r.segments[0]!;
    expect(requests).toHaveLength(3); // first call + 2 regenerations
    expect(s.attempts).toBe(3);
    expect(requests[1]!.user).toContain("These earlier variants failed our content checks");
    expect(requests[1]!.user).toContain("title states 20% but the approved offer is 15%");
    expect(requests[1]!.user).toContain("Write 1 variants for this segment");
    expect(s.rejected.map((x) => [x.attempt, x.slot, x.issues[0]!.code])).toEqual([
      [0, 1, "wrong_discount"],
      [1, 1, "wrong_discount"],
      [2, 1, "wrong_discount"],
    ]);
    expect(s.replaced).toEqual([
      {
        slot: 1,
        replacementId: expect.stringMatching(/^winback\.push\.\d+$/),
        reasons: expect.arrayContaining([expect.objectContaining({ code: "wrong_discount" })]),
      },
    ]);
    expect(s.variants.map((v) => v.source)).toEqual(["llm", "offline", "llm"]);
    expect(s.variants.every((v) => v.qa.ok)).toBe(true);
  });

  it("keeps a regenerated variant that passes", async () => {
    const { client } = fakeLlm((_req, call) => ({ variants: call === 1 ? [good(1), wrongDiscount] : [good(2)] }));
    const r = await composeCopy({ ...base, variants: 2, segments: [segment("s1")], llm: client });
    const s = r.segments[0]!;
    expect(s.attempts).toBe(2);
    expect(s.replaced).toEqual([]);
    expect(s.variants.map((v) => v.fields)).toEqual([good(1), good(2)]);
  });

  it("treats missing and duplicate variants as failures", async () => {
    const { client } = fakeLlm(() => ({ variants: [good(1), good(1)] }));
    const r = await composeCopy({ ...base, segments: [segment("s1")], llm: client, maxRegenerations: 0 });
    const s = r.segments[0]!;
    expect(s.rejected.map((x) => x.issues[0]!.code)).toEqual(["duplicate_variant", "missing_variant"]);
    expect(s.replaced.map((x) => x.slot)).toEqual([1, 2]);
    expect(new Set(s.variants.map((v) => v.variantId)).size).toBe(3);
  });

  it("normalises SMS typography to GSM-7 before QA", async () => {
    const { client } = fakeLlm(() => ({ variants: [{ text: "{{first_name}}, it’s back – 15% off {{category}} with {{offer_code}}…" }] }));
    const r = await composeCopy({ ...base, channel: "sms", variants: 1, segments: [segment("s1")], llm: client });
    expect(r.segments[0]!.variants[0]).toMatchObject({
      source: "llm",
      fields: { text: "{{first_name}}, it's back - 15% off {{category}} with {{offer_code}}..." },
    });
  });

  it("falls back to the library when the model call fails", async () => {
    const { client, requests } = fakeLlm(() => ({}), { fail: true });
    const r = await composeCopy({ ...base, segments: [segment("s1")], llm: client });
    const s = r.segments[0]!;
    expect(requests).toHaveLength(1);
    expect(s.llmError).toBe("Error: model unavailable");
    expect(s.variants).toHaveLength(3);
    expect(s.variants.every((v) => v.source === "offline")).toBe(true);
    expect(s.replaced.map((x) => x.reasons[0]!.code)).toEqual(["llm_failed", "llm_failed", "llm_failed"]);
  });

  it("never sends customer ids or contact data in the prompt", async () => {
    const { client, requests } = fakeLlm(() => ({ variants: [good(1), good(2), good(3)] }));
    const leaky = {
      segmentId: "seg-7",
      name: "Lapsed grocery shoppers like ana.lopez@example.com",
      profileWords: ["e.g. customer C000123", "call +1 415 555 0100", "hash 9f86d081884c7d659a2feaa0c55ad015", "buys every 21-28 days"],
    };
    const r = await composeCopy({ ...base, segments: [leaky], llm: client });
    const sent = `${requests[0]!.system}\n${requests[0]!.user}`;
    for (const pii of ["ana.lopez@example.com", "C000123", "415 555 0100", "9f86d081884c7d659a2feaa0c55ad015"])
      expect(sent).not.toContain(pii);
    expect(sent).toContain("buys every 21-28 days");
    expect(r.segments[0]!.redactions).toBe(4);
  });
});
