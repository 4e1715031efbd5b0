import { describe, expect, it } from "vitest";
import { z } from "zod";
import { channelSchema } from "../../core/domain.js";
import type { LlmClient } from "../llm/types.js";
import { planSegmentOffline, planSegments, preferredStrategy, type SegmentSituation } from "./index.js";

const option = (
  id: string,
  strategy: SegmentSituation["options"][number]["strategy"],
  margin: number,
  cost: number,
  contacts = 10,
  offerDepth = 0,
) => ({
  optionId: id,
  strategy,
  channel: channelSchema.parse(id.split(".")[1]),
  offerDepth,
  contacts,
  expectedIncrementalMargin: margin,
  expectedCost: cost,
});

const situation = (over: Partial<SegmentSituation> = {}): SegmentSituation => ({
  segmentId: "seg-1",
  name: "Dormant Loyalists",
  archetype: "Dormant Loyalists",
  size: 100,
  cooldownShare: 0.1,
  meanEngagement: 0.5,
  dominantDaypart: "evening",
  options: [
    option("winback.email.0", "winback", 30, 5),
    option("winback.sms.10", "winback", 50, 40, 10, 0.1),
    option("targeted_promo.email.0", "targeted_promo", 80, 5),
  ],
  ...over,
});

describe("strategist offline policy", () => {
  it("applies DOMAIN's rules: cool-down first, then archetype, then engagement", () => {
    expect(preferredStrategy(situation({ cooldownShare: 0.6 })).strategy).toBe("cooldown");
    expect(preferredStrategy(situation()).strategy).toBe("winback");
    expect(preferredStrategy(situation({ name: "Premium Loyalists", archetype: "Premium Loyalists" })).strategy).toBe("cross_sell");
    expect(preferredStrategy(situation({ name: "Average Shoppers", archetype: null, meanEngagement: 0.1 })).strategy).toBe("reengage");
    expect(preferredStrategy(situation({ name: "Average Shoppers", archetype: null })).strategy).toBe("targeted_promo");
  });

  it("takes the preferred strategy's best paying option, at the segment's active hour", () => {
    const p = planSegmentOffline(situation());
    expect(p).toMatchObject({ strategy: "winback", optionId: "winback.email.0", channel: "email", sendHourLocal: 19, contacts: 10 });
  });

  it("falls back to the best paying option, and sends nothing when none pays", () => {
    const noWinback = planSegmentOffline(
      situation({ options: [option("winback.email.0", "winback", 1, 5), option("targeted_promo.email.0", "targeted_promo", 80, 5)] }),
    );
    expect(noWinback.optionId).toBe("targeted_promo.email.0");
    const none = planSegmentOffline(situation({ options: [option("winback.email.0", "winback", 1, 5)] }));
    expect(none).toMatchObject({ strategy: "suppress", channel: null, contacts: 0 });
    expect(none.reasons.at(-1)).toMatch(/no option/);
  });

  it("keeps a strategy the segment's own holdouts measured when it pays more than the label's preference", () => {
    // A win-back segment renamed to a descriptive profile: the label now prefers the promotion.
    const renamed = { name: "High overdue / high AOV", archetype: null };
    const measuredWinback = { ...option("winback.email.10", "winback", 120, 10, 10, 0.1), measured: true };
    const kept = planSegmentOffline(
      situation({ ...renamed, options: [measuredWinback, option("targeted_promo.email.0", "targeted_promo", 80, 5)] }),
    );
    expect(kept).toMatchObject({ strategy: "winback", optionId: "winback.email.10", offerDepth: 0.1 });
    expect(kept.reasons.at(-1)).toMatch(/own holdouts measured winback/);
    // Measured, but paying less than the preferred strategy: the preference stands.
    const weaker = { ...measuredWinback, expectedIncrementalMargin: 50 };
    expect(
      planSegmentOffline(situation({ ...renamed, options: [weaker, option("targeted_promo.email.0", "targeted_promo", 80, 5)] })).strategy,
    ).toBe("targeted_promo");
    // The same numbers from the prior or other segments' evidence do not override the label.
    const unmeasured = { ...measuredWinback, measured: false };
    expect(
      planSegmentOffline(situation({ ...renamed, options: [unmeasured, option("targeted_promo.email.0", "targeted_promo", 80, 5)] }))
        .strategy,
    ).toBe("targeted_promo");
    // A measured option that does not pay is never taken, and a cool-down still sends nothing.
    const losing = { ...measuredWinback, expectedIncrementalMargin: 5 };
    expect(planSegmentOffline(situation({ ...renamed, options: [losing] })).strategy).toBe("suppress");
    expect(planSegmentOffline(situation({ ...renamed, cooldownShare: 0.6, options: [measuredWinback] })).strategy).toBe("cooldown");
  });
});

function fakeLlm(answer: unknown): LlmClient {
  return {
    model: "fake",
    async completeJson<S extends z.ZodType>(req: { schema: S }) {
      const value = req.schema.parse(answer);
      return { value, record: {} as never };
    },
  } as LlmClient;
}

describe("strategist with an LLM", () => {
  it("uses the model's choice when it names an offered option", async () => {
    const out = await planSegments([situation()], {
      maxDiscount: 0.2,
      llm: fakeLlm({ choices: [{ segmentId: "seg-1", optionId: "winback.sms.10", rationale: "SMS reaches them" }] }),
    });
    expect(out.provenance.source).toBe("llm");
    expect(out.plans[0]).toMatchObject({ optionId: "winback.sms.10", offerDepth: 0.1, reasons: ["SMS reaches them"] });
  });

  it("refuses an option that was not offered and runs the offline policy, saying why", async () => {
    const out = await planSegments([situation()], {
      maxDiscount: 0.2,
      llm: fakeLlm({ choices: [{ segmentId: "seg-1", optionId: "winback.carrier-pigeon.90", rationale: "x" }] }),
    });
    expect(out.provenance).toMatchObject({ source: "offline", fallbackReason: expect.stringMatching(/was not offered/) });
    expect(out.plans[0]!.optionId).toBe("winback.email.0");
  });

  it("refuses an offer above the cap", async () => {
    const out = await planSegments([situation()], {
      maxDiscount: 0.05,
      llm: fakeLlm({ choices: [{ segmentId: "seg-1", optionId: "winback.sms.10", rationale: "x" }] }),
    });
    expect(out.provenance.fallbackReason).toMatch(/above the cap/);
  });
});
