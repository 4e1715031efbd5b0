import { describe, expect, it } from "vitest";
import { campaignWindow, pastPeriod, untilDay } from "./dates.js";
import {
  audience,
  budget,
  category,
  channels,
  customerId,
  cycleId,
  extractParams,
  maxDiscount,
  reason,
  segmentIds,
  strategy,
} from "./extract.js";
import { correctWord, maskEntities, normalizeText } from "./normalize.js";
import { readsAsBrief } from "./understand-offline.js";

const WED = new Date("2026-01-07T12:00:00Z");

describe("typed extraction", () => {
  it("reads ids in any case", () => {
    expect(cycleId("approve C-20250101-0A30EC now")).toBe("c-20250101-0a30ec");
    expect(segmentIds("seg-4, segment 7 and SEG-4")).toEqual(["seg-4", "seg-7"]);
    expect(customerId("why did c000123 get it")).toBe("C000123");
    expect(customerId("why did customer 42 get it")).toBe("C000042");
    expect(cycleId("approve the plan")).toBeUndefined();
  });

  it("reads discount caps as shares", () => {
    expect(maxDiscount("at most 15% off")).toBe(0.15);
    expect(maxDiscount("at most 15 percent")).toBe(0.15);
    expect(maxDiscount("12.5 per cent max")).toBe(0.125);
    expect(maxDiscount("no discount")).toBe(0);
    expect(maxDiscount("full price only")).toBe(0);
    expect(maxDiscount("a nice campaign")).toBeUndefined();
  });

  it("reads budgets", () => {
    expect(budget("budget $5k")).toBe(5000);
    expect(budget("with a budget of 2,500")).toBe(2500);
    expect(budget("spend 300 dollars")).toBe(300);
    expect(budget("€1.5k")).toBe(1500);
    expect(budget("15% off")).toBeUndefined();
  });

  it("reads channels, categories and strategies", () => {
    expect(channels("by e-mail and text message")).toEqual(["email", "sms"]);
    expect(channels("with an in-app message and a push notification")).toEqual(["in_app", "push"]);
    expect(channels("on all channels")).toEqual(["email", "sms", "push", "in_app"]);
    expect(category("home goods")).toBe("home");
    expect(category("clothing")).toBe("apparel");
    expect(strategy("win back lapsed shoppers")).toBe("winback");
    expect(strategy("promo for promo-sensitive shoppers")).toBe("targeted_promo");
    expect(strategy("email promo-sensitive shoppers")).toBeUndefined();
    expect(strategy("cross-sell home")).toBe("cross_sell");
    expect(strategy("re-engage disengaged")).toBe("reengage");
  });

  it("reads audiences: segments, archetypes, filters", () => {
    expect(audience("premium loyalists and seg-2")).toEqual({ segments: ["seg-2"], archetypes: ["Premium Loyalists"] });
    expect(audience("lapsed high-value shoppers")).toEqual({ filters: ["lapsed", "high_value"] });
    // "dormant" inside the archetype name is not the disengaged filter
    expect(audience("dormant loyalists")).toEqual({ archetypes: ["Dormant Loyalists"] });
    expect(audience("everyone")).toBeUndefined();
  });

  it("reads reasons after 'because'", () => {
    expect(reason("reject c-20250101-0a30ec because the budget is too high.")).toBe("the budget is too high");
    expect(reason("reject")).toBeUndefined();
  });

  it("reads a rejection's reason after its decision words and a comma, colon or dash, not an approval's", () => {
    expect(reason("reject c-20250101-0a30ec, too deep a discount", "reject")).toBe("too deep a discount");
    expect(reason("Decline it: the copy is off brand.", "reject")).toBe("the copy is off brand");
    expect(reason("turn this plan down - legal has not signed off", "reject")).toBe("legal has not signed off");
    expect(reason("nah, reject it, the discount is too steep", "reject")).toBe("the discount is too steep");
    expect(reason("ok, no, decline: wrong audience", "reject")).toBe("wrong audience");
    expect(reason("nope, reject", "reject")).toBeUndefined();
    expect(reason("reject it, please", "reject")).toBeUndefined();
    // Text before the separator that is more than the decision is not split off as a reason.
    expect(reason("the audience looks odd, reject", "reject")).toBeUndefined();
    expect(reason("approved, go ahead", "approve")).toBeUndefined();
  });

  it("reads win-back and suppression briefs in their ordinary verbs", () => {
    expect(strategy("entice former customers back with 10% off")).toBe("winback");
    expect(strategy("bring seg-3 back")).toBe("winback");
    expect(strategy("do not contact the hibernating segment")).toBe("suppress");
    expect(strategy("keep new customers out of this campaign")).toBe("suppress");
    // Hyphenated audience names between the verb and its particle
    expect(strategy("give the coupon-driven floaters a break")).toBe("cooldown");
    expect(strategy("leave the high-value regulars alone")).toBe("suppress");
  });

  it("reads a channel from its verb", () => {
    expect(channels("why was c004512 texted")).toEqual(["sms"]);
    expect(channels("who got emailed yesterday")).toEqual(["email"]);
  });
});

describe("dates", () => {
  it("a window that ends on a named day or period runs from today to its end, and its words are not typo-corrected", () => {
    const wed = new Date("2026-01-07T12:00:00Z");
    expect(campaignWindow("promo ending tomorrow", wed)).toEqual({ start: "2026-01-07", end: "2026-01-08" });
    expect(campaignWindow("promo until the end of next week", wed)).toEqual({ start: "2026-01-07", end: "2026-01-18" });
    expect(campaignWindow("promo next week", wed)).toEqual({ start: "2026-01-12", end: "2026-01-18" });
    expect(normalizeText("15% off, ending tomorrow")).toBe("15% off, ending tomorrow");
  });

  it("resolves campaign windows from the reference day", () => {
    expect(campaignWindow("this week", WED)).toEqual({ start: "2026-01-07", end: "2026-01-11" });
    expect(campaignWindow("next week", WED)).toEqual({ start: "2026-01-12", end: "2026-01-18" });
    expect(campaignWindow("until monday", WED)).toEqual({ start: "2026-01-07", end: "2026-01-12" });
    expect(campaignWindow("from 2026-02-01 to 2026-02-10", WED)).toEqual({ start: "2026-02-01", end: "2026-02-10" });
    expect(campaignWindow("no date here", WED)).toBeUndefined();
  });

  it("resolves past periods", () => {
    expect(pastPeriod("last quarter", WED)).toEqual({ start: "2025-10-01", end: "2025-12-31" });
    expect(pastPeriod("last week", WED)).toEqual({ start: "2025-12-29", end: "2026-01-04" });
    expect(pastPeriod("since 2025-12-01", WED)).toEqual({ start: "2025-12-01" });
    expect(pastPeriod("last year", WED)).toEqual({ start: "2025-01-01", end: "2025-12-31" });
  });

  it("resolves pause expiries", () => {
    expect(untilDay("until friday", WED)).toBe("2026-01-09");
    expect(untilDay("for 3 days", WED)).toBe("2026-01-10");
    expect(untilDay("until next week", WED)).toBe("2026-01-12");
    expect(untilDay("for now", WED)).toBeUndefined();
  });
});

describe("readsAsBrief", () => {
  it("needs a strategy and what the campaign is about", () => {
    expect(readsAsBrief({ strategy: "winback", category: "books" })).toBe(true);
    expect(readsAsBrief({ strategy: "suppress", audience: { filters: ["lapsed"] } })).toBe(true);
    expect(readsAsBrief({ strategy: "targeted_promo" })).toBe(false);
    expect(readsAsBrief({ category: "books", max_discount: 0.1 })).toBe(false);
  });
});

describe("normalization", () => {
  it("corrects typos of known words but leaves short and unknown words alone", () => {
    expect(correctWord("aprove")).toBe("approve");
    expect(correctWord("segmnets")).toBe("segments");
    expect(correctWord("churned")).toBe("churned");
    expect(correctWord("plan")).toBe("plan");
    expect(normalizeText("  PAUSE   Emial ")).toBe("pause email");
  });

  it("masks entities for the classifier", () => {
    expect(maskEntities("approve c-20250101-0a30ec at 15% off for seg-2")).toBe("approve cycleid at pct off for segid");
    expect(maskEntities("stop messaging the bargain hunters segment")).toBe("stop messaging the audience segment");
    expect(maskEntities("suppress the churn-prone spenders and lapsed vips")).toBe("suppress the audience and audience audience");
    expect(maskEntities("stop messaging customers for now")).toBe("stop messaging customers for now");
  });
});

describe("extractParams", () => {
  it("returns only what the request says, under the issue's parameter names", () => {
    expect(extractParams("pause", "pause SMS for seg-3 until monday", "pause sms for seg-3 until monday", WED)).toEqual({
      channels: ["sms"],
      segment: "seg-3",
      until: "2026-01-12",
    });
    expect(extractParams("audit_export", "x", "export last quarter as csv", WED)).toEqual({
      from: "2025-10-01",
      to: "2025-12-31",
      format: "csv",
    });
    expect(extractParams("help", "help", "help", WED)).toEqual({});
  });

  it("reads the verbs of stopping an audience's messages as suppression, channel words as channels", () => {
    const read = (t: string) => extractParams("plan_campaign", t, t, WED);
    expect(read("quit sending offers to the coupon-driven floaters")).toEqual({
      strategy: "suppress",
      audience: { archetypes: ["Coupon-Driven Floaters"] },
    });
    expect(read("no more texts to the lapsed shoppers")).toEqual({
      strategy: "suppress",
      channels: ["sms"],
      audience: { filters: ["lapsed"] },
    });
    expect(read("hold off on emailing big spenders").strategy).toBe("suppress");
    expect(read("don't send anything to champions").strategy).toBe("suppress");
    // sending more is not stopping
    expect(read("send more offers to champions").strategy).toBe("targeted_promo");
  });

  it("does not read ids' digits as dates", () => {
    expect(extractParams("plan_campaign", "give seg-3 a cool-down", "give seg-3 a cool-down", WED)).toEqual({
      strategy: "cooldown",
      audience: { segments: ["seg-3"] },
    });
  });
});
