import { describe, expect, it } from "vitest";
import { resolveWorldParams } from "./world-params.js";
import { drawProfile, type CustomerProfile } from "./customer-profile.js";
import { decayFatigue, discountLift, fatigueLiftFactor, messageLift } from "./treatment-effect.js";
import { DAY_MS } from "./calendar.js";
import type { Archetype } from "./archetypes.js";

function profiles(archetype: Archetype, n = 400): CustomerProfile[] {
  const params = resolveWorldParams({ customers: n, seed: 3, archetypeMix: { [archetype]: 1 } });
  return Array.from({ length: n }, (_, i) => drawProfile(params, i));
}
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

describe("treatment effect model", () => {
  it("makes discounts matter to Coupon-Driven Floaters and barely to Premium Loyalists, with saturation", () => {
    const floaters = profiles("coupon_floater").filter((p) => !p.sleepingDog);
    const premium = profiles("premium_loyalist").filter((p) => !p.sleepingDog);
    const lift = (ps: CustomerProfile[], d: number) => mean(ps.map((p) => messageLift(p, true, "targeted_promo", 0, d, 0, 0.1)));
    expect(lift(floaters, 0.2) - lift(floaters, 0)).toBeGreaterThan(0.08);
    expect(lift(premium, 0.2) - lift(premium, 0)).toBeLessThan(0.02);
    // Concave in depth: the step from 0.2 to 0.3 adds less than the step from 0 to 0.1.
    const f = floaters[0];
    expect(discountLift(f, 0.3, true) - discountLift(f, 0.2, true)).toBeLessThan(discountLift(f, 0.1, true) - discountLift(f, 0, true));
  });

  it("makes winback work on lapsed Dormant Loyalists better than on active customers", () => {
    const dormant = profiles("dormant_loyalist").filter((p) => !p.sleepingDog);
    const lapsed = mean(dormant.map((p) => messageLift(p, false, "winback", 0, 0, 0, 0.01)));
    const active = mean(dormant.map((p) => messageLift(p, true, "winback", 0, 0, 0, 0.2)));
    expect(lapsed).toBeGreaterThan(2 * active);
  });

  it("harms sleeping dogs, more so when fatigued, and never sends for cooldown or suppress", () => {
    const dog = profiles("high_margin_infrequent").find((p) => p.sleepingDog)!;
    const rested = messageLift(dog, true, "targeted_promo", 0, 0.2, 0, 0.2);
    const tired = messageLift(dog, true, "targeted_promo", 0, 0.2, 1, 0.2);
    expect(rested).toBeLessThan(0);
    expect(tired).toBeLessThan(rested);
    expect(messageLift(dog, true, "cooldown", 0, 0.2, 0, 0.2)).toBe(0);
    expect(messageLift(dog, true, "suppress", 0, 0.2, 0, 0.2)).toBe(0);
  });

  it("shrinks a helpful message's lift with fatigue until it turns negative (inverted U over volume)", () => {
    expect(fatigueLiftFactor(0)).toBe(1);
    expect(fatigueLiftFactor(0.5)).toBeGreaterThan(fatigueLiftFactor(0.9));
    expect(fatigueLiftFactor(1.5)).toBeLessThan(0);
    expect(decayFatigue(4, 0, 7 * DAY_MS)).toBeCloseTo(2, 10);
  });
});
