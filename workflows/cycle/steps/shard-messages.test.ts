import { describe, expect, it } from "vitest";
import type { Campaign } from "../../../core/domain.js";
import { dedupeKeyOf, messageIdOf, offerCodeOf } from "../ids.js";
import { planShards, sendBatches, shardMessages, shardSendFrom } from "./shard-messages.js";

const campaign = (over: Partial<Campaign> = {}): Campaign => ({
  campaignId: "c1.s1.winback.sms",
  segmentId: "s1",
  segmentName: "Lapsed regulars",
  strategy: "winback",
  channel: "sms",
  offerDepth: 0,
  sendHourLocal: 10,
  source: "offline",
  variants: [{ variantId: "winback.sms.1", fields: { text: "Hi {{first_name}}, new {{category}} is in. Code {{offer_code}}" } }],
  ...over,
});

describe("planShards", () => {
  it("splits each campaign's treated customers into shards of at most shardSize, skipping campaigns nobody is treated in", () => {
    const shards = planShards(
      "c1",
      [{ campaignId: "a" }, { campaignId: "b" }, { campaignId: "c" }],
      new Map([
        ["a", 2500],
        ["c", 1000],
      ]),
      1000,
    );
    expect(shards).toEqual([
      { cycleId: "c1", campaignId: "a", campaignIndex: 0, shard: 0, shardCount: 3 },
      { cycleId: "c1", campaignId: "a", campaignIndex: 0, shard: 1, shardCount: 3 },
      { cycleId: "c1", campaignId: "a", campaignIndex: 0, shard: 2, shardCount: 3 },
      { cycleId: "c1", campaignId: "c", campaignIndex: 2, shard: 0, shardCount: 1 },
    ]);
  });
});

describe("shardMessages", () => {
  const asOf = new Date("2026-03-02T06:00:00Z");

  it("renders one message per customer, keyed by the dedupe key, at the campaign's hour in the customer's time zone", () => {
    const { messages, failures } = shardMessages(
      "c1",
      campaign(),
      [
        { customerId: "k1", firstName: "Ana", timezone: "Europe/Berlin", topCategory: "shoes" },
        { customerId: "k2", firstName: null, timezone: "America/New_York", topCategory: null },
      ],
      asOf,
    );
    expect(failures).toEqual([]);
    expect(messages).toHaveLength(2);
    const [m1, m2] = messages;
    const key = dedupeKeyOf("c1", "c1.s1.winback.sms", "k1", "sms");
    expect(m1).toMatchObject({
      dedupeKey: key,
      messageId: messageIdOf(key),
      cycleId: "c1",
      customerId: "k1",
      channel: "sms",
      templateId: "winback.sms",
    });
    const text = (m1!.content as { text: string }).text;
    expect(text).toContain("Hi Ana, new shoes is in.");
    expect(text).toContain(offerCodeOf(m1!.messageId));
    // 10:00 in Berlin (UTC+1 in March) and in New York (UTC-5).
    expect(m1!.plannedAt).toBe("2026-03-02T09:00:00.000Z");
    expect(m2!.plannedAt).toBe("2026-03-02T15:00:00.000Z");
    expect((m2!.content as { text: string }).text).toContain("Hi there, new our range is in.");
    expect((m1!.content as { unsubscribeUrl: string }).unsubscribeUrl).toBe(`https://pulse.example/u/${m1!.messageId}`);
  });

  it("uses the brief's category over the customer's own", () => {
    const { messages } = shardMessages(
      "c1",
      campaign({ category: "garden" }),
      [{ customerId: "k1", firstName: "Ana", timezone: "UTC", topCategory: "shoes" }],
      asOf,
    );
    expect((messages[0]!.content as { text: string }).text).toContain("new garden is in");
  });

  it("sets a customer whose copy does not render aside, with the reason, and renders the others", () => {
    const { messages, failures } = shardMessages(
      "c1",
      campaign({ variants: [{ variantId: "bad.sms.1", fields: { text: "Hi {{#if first_name}}x{{/if}}" } }] }),
      [{ customerId: "k1", firstName: "Ana", timezone: "UTC", topCategory: null }],
      asOf,
    );
    expect(messages).toEqual([]);
    expect(failures).toHaveLength(1);
    expect(failures[0]!.customerId).toBe("k1");
    expect(failures[0]!.reason).toMatch(/template construct/);
  });
});

describe("shardSendFrom", () => {
  const asOf = new Date("2026-03-02T06:00:00Z");
  it("starts at the brief's window start when it is later than the as-of, else at the as-of", () => {
    expect(shardSendFrom({ sendFrom: "2026-03-05T00:00:00Z" }, asOf)).toEqual(new Date("2026-03-05T00:00:00Z"));
    expect(shardSendFrom({ sendFrom: "2026-03-01T00:00:00Z" }, asOf)).toEqual(asOf);
    expect(shardSendFrom({}, asOf)).toEqual(asOf);
  });
});

describe("sendBatches", () => {
  const at = (h: number) => `2026-01-01T${String(h).padStart(2, "0")}:00:00.000Z`;
  const messages = ["m1", "m2", "m3", "m4", "m5", "m6"].map((messageId, i) => ({ messageId, plannedAt: at(i % 2 === 0 ? 9 : 10) }));

  it("groups by send time and cuts each group into batches of at most maxBatch, in the order given", () => {
    expect(sendBatches(messages, new Set(messages.map((m) => m.messageId)), 2)).toEqual([
      { plannedAt: at(9), messageIds: ["m1", "m3"] },
      { plannedAt: at(9), messageIds: ["m5"] },
      { plannedAt: at(10), messageIds: ["m2", "m4"] },
      { plannedAt: at(10), messageIds: ["m6"] },
    ]);
  });

  it("cuts over every message, so a re-run with some sent gives the same batches, minus those with nothing queued", () => {
    const all = sendBatches(messages, new Set(messages.map((m) => m.messageId)), 2);
    const rerun = sendBatches(messages, new Set(["m3", "m6"]), 2);
    expect(rerun).toEqual([all[0], all[3]]);
  });

  it("puts queued messages the shard did not render last, due at once", () => {
    expect(sendBatches(messages.slice(0, 1), new Set(["m1", "x1", "x2"]), 5)).toEqual([
      { plannedAt: at(9), messageIds: ["m1"] },
      { plannedAt: null, messageIds: ["x1", "x2"] },
    ]);
  });
});
