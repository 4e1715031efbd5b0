import { describe, expect, it } from "vitest";
import type { AudienceRow } from "../../store/loop-repo.js";
import {
  blastDecisions,
  calendarFires,
  DEFAULT_PROMO_DEPTH,
  preferredChannel,
  rfmRuleOf,
  rfmRulesDecisions,
  WINBACK_DEPTH,
} from "./baselines.js";

const row = (customerId: string, channels: string[], rfmBand: string | null): AudienceRow => ({
  customerId,
  timezone: "UTC",
  channels,
  rfmBand,
});

const audience: AudienceRow[] = [
  row("c1", ["email", "sms", "push"], "Champions"),
  row("c2", ["sms"], "At risk"),
  row("c3", [], "Loyal"),
  row("c4", ["push", "in_app"], null),
  row("c5", ["email"], "Needs attention"),
  row("c6", ["in_app", "email"], "Hibernating"),
];

describe("blast", () => {
  it("sends the default promotion on every contactable channel, to nobody without one", () => {
    const d = blastDecisions(audience);
    expect(d).toHaveLength(3 + 1 + 0 + 2 + 1 + 2);
    expect(d.filter((x) => x.customerId === "c3")).toEqual([]);
    expect(d.filter((x) => x.customerId === "c1").map((x) => x.channel)).toEqual(["email", "sms", "push"]);
    for (const x of d) {
      expect(x.strategy).toBe("targeted_promo");
      expect(x.offerDepth).toBe(DEFAULT_PROMO_DEPTH);
      expect(audience.find((a) => a.customerId === x.customerId)!.channels).toContain(x.channel);
    }
  });
});

describe("the RFM calendar", () => {
  it("fires every period once, whatever the cadence", () => {
    // weekly cycles: monthly fires in cycles 0, 4, 8; fortnightly in 0, 2, 4, 6
    expect([...Array(9).keys()].filter((k) => calendarFires(k, 7, 28))).toEqual([0, 4, 8]);
    expect([...Array(8).keys()].filter((k) => calendarFires(k, 7, 14))).toEqual([0, 2, 4, 6]);
    expect([...Array(5).keys()].every((k) => calendarFires(k, 7, 7))).toBe(true);
    // a 10-day cadence: a 7-day calendar fires every cycle, a 28-day one in cycles 0, 2 (day 28 is in [20, 30)) and 5 (day 56 in [50, 60))
    expect([...Array(6).keys()].filter((k) => calendarFires(k, 10, 28))).toEqual([0, 2, 5]);
    expect(() => calendarFires(0, 0, 7)).toThrow(RangeError);
  });

  it("maps bands to rules", () => {
    expect(rfmRuleOf("Champions")).toBe("best");
    expect(rfmRuleOf("Loyal")).toBe("best");
    expect(rfmRuleOf("At risk")).toBe("lapsing");
    expect(rfmRuleOf("Cannot lose them")).toBe("lapsing");
    expect(rfmRuleOf("Hibernating")).toBe("lapsing");
    expect(rfmRuleOf("Recent")).toBe("rest");
    expect(rfmRuleOf(null)).toBe("rest");
  });

  it("prefers email, then sms, push, in-app", () => {
    expect(preferredChannel(["push", "sms"])).toBe("sms");
    expect(preferredChannel(["in_app", "email"])).toBe("email");
    expect(preferredChannel([])).toBeNull();
  });

  it("sends one message per customer on the calendar's days", () => {
    const first = rfmRulesDecisions(audience, 0, 7);
    expect(first.map((d) => [d.customerId, d.channel, d.strategy, d.offerDepth])).toEqual([
      ["c1", "email", "targeted_promo", 0],
      ["c2", "sms", "winback", WINBACK_DEPTH],
      ["c4", "push", "targeted_promo", DEFAULT_PROMO_DEPTH],
      ["c5", "email", "targeted_promo", DEFAULT_PROMO_DEPTH],
      ["c6", "email", "winback", WINBACK_DEPTH],
    ]);
    // cycle 1: no monthly, no fortnightly: only the weekly promo
    expect(rfmRulesDecisions(audience, 1, 7).map((d) => d.customerId)).toEqual(["c4", "c5"]);
    // cycle 2: fortnightly win-back again
    expect(rfmRulesDecisions(audience, 2, 7).map((d) => d.customerId)).toEqual(["c2", "c4", "c5", "c6"]);
    // never more than blast
    for (let k = 0; k < 8; k++) expect(rfmRulesDecisions(audience, k, 7).length).toBeLessThanOrEqual(blastDecisions(audience).length);
  });
});
