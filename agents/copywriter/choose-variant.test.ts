import { describe, expect, it } from "vitest";
import { chooseVariant } from "./choose-variant.js";

const variants = Array.from({ length: 6 }, (_, i) => ({ variantId: `winback.sms.${i + 1}` }));

describe("chooseVariant", () => {
  it("is deterministic per (customer, campaign) and independent of call order", () => {
    const a = chooseVariant(variants, { customerId: "c-1", campaignId: "camp-1" });
    chooseVariant(variants, { customerId: "c-2", campaignId: "camp-1" });
    expect(chooseVariant(variants, { customerId: "c-1", campaignId: "camp-1" })).toBe(a);
  });

  it("spreads customers over all variants", () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 6000; i++) {
      const v = chooseVariant(variants, { customerId: `c-${i}`, campaignId: "camp-1" });
      counts.set(v.variantId, (counts.get(v.variantId) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
    for (const n of counts.values()) expect(n).toBeGreaterThan(800);
  });

  it("never gives a customer their last variant again", () => {
    for (let i = 0; i < 500; i++) {
      let last: string | undefined;
      for (let campaign = 0; campaign < 10; campaign++) {
        const v = chooseVariant(variants, { customerId: `c-${i}`, campaignId: `camp-${campaign}`, lastVariantId: last });
        expect(v.variantId).not.toBe(last);
        last = v.variantId;
      }
    }
  });

  it("handles one variant and refuses none", () => {
    expect(chooseVariant(variants.slice(0, 1), { customerId: "c", campaignId: "k", lastVariantId: "winback.sms.1" }).variantId).toBe(
      "winback.sms.1",
    );
    expect(() => chooseVariant([], { customerId: "c", campaignId: "k" })).toThrow(RangeError);
  });
});
