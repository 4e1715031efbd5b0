import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cycleSettingsSchema, type CycleSettings } from "../workflows/cycle/settings.js";
import { applyBrief, DEFAULT_GUARDRAIL_POLICY, guardrailPolicySchema, quietHoursCover, type GuardrailPolicy } from "./guardrail-policy.js";

const CHANNELS = ["email", "sms", "push", "in_app"] as const;

// --- arbitraries within the schemas' ranges ---
const clock = fc
  .record({ h: fc.integer({ min: 0, max: 23 }), m: fc.constantFrom(0, 15, 30, 45) })
  .map(({ h, m }) => `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}`);
const quiet = fc.option(fc.record({ start: clock, end: clock }), { nil: null });
const cap = fc.option(fc.integer({ min: 0, max: 10 }), { nil: null });
const caps = fc.record({ email: cap, sms: cap, push: cap, in_app: cap });
const share = fc.double({ min: 0.01, max: 0.5, noNaN: true });
const depth = fc.double({ min: 0, max: 0.9, noNaN: true });
const attrs = fc.subarray(["age_band", "region", "gender"], { minLength: 0 });

const policyArb = fc
  .record({
    approvalPolicy: fc.record({
      maxAutoDiscount: depth,
      maxAutoAudience: fc.integer({ min: 0, max: 100_000 }),
      newContentNeedsHuman: fc.boolean(),
      flaggedCheckNeedsHuman: fc.boolean(),
      ttlHours: fc.double({ min: 1, max: 72, noNaN: true }),
    }),
    maxDiscount: depth,
    holdoutShare: share,
    globalControlShare: fc.double({ min: 0, max: 0.5, noNaN: true }),
    eligibility: fc.record({
      quietHours: quiet,
      channelDailyCap: caps,
      channelRollingCap: caps,
      totalDailyCap: cap,
      totalRollingCap: cap,
      rollingWindowDays: fc.integer({ min: 1, max: 30 }),
      recentConverterDays: fc.option(fc.integer({ min: 0, max: 30 }), { nil: null }),
      reserveWithinBatch: fc.boolean(),
    }),
    fairness: fc.record({ threshold: fc.double({ min: 0.5, max: 1, noNaN: true }), minGroupSize: fc.integer({ min: 1, max: 100 }) }),
    fairnessAttributes: attrs,
  })
  .map((p) => guardrailPolicySchema.parse(p));

/** A brief that sets any subset of the bounded fields to any value the cycle settings accept. */
const briefArb = fc.record(
  {
    approvalPolicy: fc.record(
      {
        maxAutoDiscount: fc.double({ min: 0, max: 1, noNaN: true }),
        maxAutoAudience: fc.integer({ min: 0, max: 1_000_000 }),
        newContentNeedsHuman: fc.boolean(),
        flaggedCheckNeedsHuman: fc.boolean(),
        ttlHours: fc.double({ min: 0.5, max: 200, noNaN: true }),
      },
      { requiredKeys: [] },
    ),
    maxDiscount: depth,
    holdoutShare: fc.double({ min: 0.001, max: 0.9, noNaN: true }),
    globalControlShare: fc.double({ min: 0, max: 0.9, noNaN: true }),
    globalControlSalt: fc.constantFrom("pulse-global-control-v1", "other-salt"),
    eligibility: fc.record(
      {
        quietHours: quiet,
        channelDailyCap: fc.record({ email: cap, sms: cap, push: cap, in_app: cap }, { requiredKeys: [] }),
        channelRollingCap: fc.record({ email: cap, sms: cap, push: cap, in_app: cap }, { requiredKeys: [] }),
        totalDailyCap: cap,
        totalRollingCap: cap,
        rollingWindowDays: fc.integer({ min: 1, max: 30 }),
        recentConverterDays: fc.option(fc.integer({ min: 0, max: 30 }), { nil: null }),
        reserveWithinBatch: fc.boolean(),
      },
      { requiredKeys: [] },
    ),
    fairness: fc.record(
      { threshold: fc.double({ min: 0.1, max: 1, noNaN: true }), minGroupSize: fc.integer({ min: 1, max: 200 }) },
      { requiredKeys: [] },
    ),
    fairnessAttributes: attrs,
    channels: fc.subarray([...CHANNELS], { minLength: 1 }),
  },
  { requiredKeys: [] },
);

// --- an independent reading of "at least as strict", written out per field ---
function minutesQuiet(q: { start: string; end: string } | null): Set<number> {
  const out = new Set<number>();
  if (!q) return out;
  const toMin = (s: string) => Number(s.slice(0, 2)) * 60 + Number(s.slice(3));
  const [s, e] = [toMin(q.start), toMin(q.end)];
  for (let m = s; m !== e; m = (m + 1) % 1440) out.add(m);
  return out;
}
const capOk = (p: number | null, s: number | null) => p === null || (s !== null && s <= p);

function violations(p: GuardrailPolicy, s: CycleSettings): string[] {
  const v: string[] = [];
  const check = (ok: boolean, field: string) => ok || v.push(field);
  check(s.approvalPolicy.maxAutoDiscount <= p.approvalPolicy.maxAutoDiscount, "approvalPolicy.maxAutoDiscount");
  check(s.approvalPolicy.maxAutoAudience <= p.approvalPolicy.maxAutoAudience, "approvalPolicy.maxAutoAudience");
  check(!p.approvalPolicy.newContentNeedsHuman || s.approvalPolicy.newContentNeedsHuman, "approvalPolicy.newContentNeedsHuman");
  check(!p.approvalPolicy.flaggedCheckNeedsHuman || s.approvalPolicy.flaggedCheckNeedsHuman, "approvalPolicy.flaggedCheckNeedsHuman");
  check(s.approvalPolicy.ttlHours <= p.approvalPolicy.ttlHours, "approvalPolicy.ttlHours");
  check(s.maxDiscount <= p.maxDiscount, "maxDiscount");
  check(s.holdoutShare >= p.holdoutShare, "holdoutShare");
  check(s.globalControlShare >= p.globalControlShare, "globalControlShare");
  check(s.globalControlSalt === p.globalControlSalt, "globalControlSalt");
  const pq = minutesQuiet(p.eligibility.quietHours);
  const sq = minutesQuiet(s.eligibility.quietHours);
  check(
    [...pq].every((m) => sq.has(m)),
    "eligibility.quietHours",
  );
  for (const ch of CHANNELS) {
    check(capOk(p.eligibility.channelDailyCap[ch], s.eligibility.channelDailyCap[ch]), `eligibility.channelDailyCap.${ch}`);
    check(capOk(p.eligibility.channelRollingCap[ch], s.eligibility.channelRollingCap[ch]), `eligibility.channelRollingCap.${ch}`);
  }
  check(capOk(p.eligibility.totalDailyCap, s.eligibility.totalDailyCap), "eligibility.totalDailyCap");
  check(capOk(p.eligibility.totalRollingCap, s.eligibility.totalRollingCap), "eligibility.totalRollingCap");
  check(s.eligibility.rollingWindowDays >= p.eligibility.rollingWindowDays, "eligibility.rollingWindowDays");
  const prc = p.eligibility.recentConverterDays;
  const src = s.eligibility.recentConverterDays;
  check(prc === null || (src !== null && src >= prc), "eligibility.recentConverterDays");
  check(!p.eligibility.reserveWithinBatch || s.eligibility.reserveWithinBatch, "eligibility.reserveWithinBatch");
  check(s.fairness.threshold >= p.fairness.threshold, "fairness.threshold");
  check(s.fairness.minGroupSize <= p.fairness.minGroupSize, "fairness.minGroupSize");
  check(
    p.fairnessAttributes.every((a) => s.fairnessAttributes.includes(a)),
    "fairnessAttributes",
  );
  return v;
}

describe("applyBrief: a brief can only tighten the guardrail policy", () => {
  it("refuses the issue's example, naming both fields, with the policy's rule", () => {
    const r = applyBrief(DEFAULT_GUARDRAIL_POLICY, 3, { approvalPolicy: { maxAutoDiscount: 0.9 }, globalControlShare: 0 });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.loosened).toEqual([
      { field: "approvalPolicy.maxAutoDiscount", policy: 0.2, requested: 0.9, rule: "at most 0.2" },
      { field: "globalControlShare", policy: 0.02, requested: 0, rule: "at least 0.02" },
    ]);
  });

  it("an empty brief runs with the policy's values and version", () => {
    const r = applyBrief(DEFAULT_GUARDRAIL_POLICY, 4, {});
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.settings.approvalPolicy).toMatchObject({ version: "guardrail-policy/v4", maxAutoDiscount: 0.2, ttlHours: 24 });
    expect(r.settings.eligibility.quietHours).toEqual({ start: "21:00", end: "08:00" });
    expect(violations(DEFAULT_GUARDRAIL_POLICY, r.settings)).toEqual([]);
  });

  it("no brief is accepted with any field looser than the policy; a refusal names exactly the loosened fields", () => {
    fc.assert(
      fc.property(policyArb, briefArb, (policy, brief) => {
        const r = applyBrief(policy, 1, brief);
        if (r.ok) {
          expect(violations(policy, r.settings)).toEqual([]);
        } else {
          // What the brief would have run with, had it been let through: the independent check agrees field by field.
          const unchecked = cycleSettingsSchema.parse(overlayForTest(policy, brief));
          expect(r.loosened.length).toBeGreaterThan(0);
          expect(r.loosened.map((l) => l.field).sort()).toEqual(violations(policy, unchecked).sort());
        }
      }),
      { numRuns: 400 },
    );
  });

  it("a brief that tightens every field is accepted and runs with the brief's values", () => {
    fc.assert(
      fc.property(policyArb, (p) => {
        const tighter = {
          approvalPolicy: {
            maxAutoDiscount: p.approvalPolicy.maxAutoDiscount / 2,
            maxAutoAudience: Math.floor(p.approvalPolicy.maxAutoAudience / 2),
            newContentNeedsHuman: true,
            flaggedCheckNeedsHuman: true,
            ttlHours: p.approvalPolicy.ttlHours / 2,
          },
          maxDiscount: p.maxDiscount / 2,
          holdoutShare: Math.min(0.9, p.holdoutShare * 1.5),
          globalControlShare: Math.min(0.9, p.globalControlShare + 0.01),
          eligibility: {
            quietHours: { start: "00:00", end: "23:59" },
            channelDailyCap: { email: 0, sms: 0, push: 0, in_app: 0 },
            channelRollingCap: { email: 0, sms: 0, push: 0, in_app: 0 },
            totalDailyCap: 0,
            totalRollingCap: 0,
            rollingWindowDays: p.eligibility.rollingWindowDays + 1,
            recentConverterDays: (p.eligibility.recentConverterDays ?? 0) + 1,
            reserveWithinBatch: true,
          },
          fairness: { threshold: 1, minGroupSize: 1 },
          fairnessAttributes: [...p.fairnessAttributes, "extra_attribute"],
        };
        const r = applyBrief(p, 2, tighter);
        // 00:00-23:59 leaves one minute open: refused only when the policy's window is quiet then.
        const lastMinuteQuiet = minutesQuiet(p.eligibility.quietHours).has(1439);
        if (lastMinuteQuiet) {
          expect(r.ok).toBe(false);
          if (!r.ok) expect(r.loosened.map((l) => l.field)).toEqual(["eligibility.quietHours"]);
          return;
        }
        expect(r.ok).toBe(true);
        if (r.ok) expect(r.settings).toMatchObject(tighter);
      }),
      { numRuns: 200 },
    );
  });

  it("each bounded field loosened on its own is refused, naming that field", () => {
    const loosen: Record<string, unknown> = {
      "approvalPolicy.maxAutoDiscount": { approvalPolicy: { maxAutoDiscount: 0.5 } },
      "approvalPolicy.maxAutoAudience": { approvalPolicy: { maxAutoAudience: 60_000 } },
      "approvalPolicy.newContentNeedsHuman": { approvalPolicy: { newContentNeedsHuman: false } },
      "approvalPolicy.flaggedCheckNeedsHuman": { approvalPolicy: { flaggedCheckNeedsHuman: false } },
      "approvalPolicy.ttlHours": { approvalPolicy: { ttlHours: 48 } },
      maxDiscount: { maxDiscount: 0.5 },
      holdoutShare: { holdoutShare: 0.05 },
      globalControlShare: { globalControlShare: 0.01 },
      globalControlSalt: { globalControlSalt: "reshuffle" },
      "eligibility.quietHours": { eligibility: { quietHours: { start: "23:00", end: "07:00" } } },
      "eligibility.channelDailyCap.sms": { eligibility: { channelDailyCap: { sms: 3 } } },
      "eligibility.channelRollingCap.push": { eligibility: { channelRollingCap: { push: null } } },
      "eligibility.totalDailyCap": { eligibility: { totalDailyCap: 5 } },
      "eligibility.totalRollingCap": { eligibility: { totalRollingCap: null } },
      "eligibility.rollingWindowDays": { eligibility: { rollingWindowDays: 3 } },
      "eligibility.recentConverterDays": { eligibility: { recentConverterDays: null } },
      "eligibility.reserveWithinBatch": { eligibility: { reserveWithinBatch: false } },
      "fairness.threshold": { fairness: { threshold: 0.5 } },
      "fairness.minGroupSize": { fairness: { minGroupSize: 500 } },
      fairnessAttributes: { fairnessAttributes: ["region"] },
    };
    for (const [field, brief] of Object.entries(loosen)) {
      const r = applyBrief(DEFAULT_GUARDRAIL_POLICY, 1, brief);
      expect(r.ok ? [] : r.loosened.map((l) => l.field), field).toEqual([field]);
    }
  });

  it("quiet hours: a wider window covers, a shifted or removed one does not; no policy window accepts any", () => {
    const p = { start: "21:00", end: "08:00" };
    expect(quietHoursCover({ start: "20:00", end: "09:00" }, p)).toBe(true);
    expect(quietHoursCover({ start: "22:00", end: "09:00" }, p)).toBe(false);
    expect(quietHoursCover(null, p)).toBe(false);
    expect(quietHoursCover(null, null)).toBe(true);
    expect(quietHoursCover({ start: "08:00", end: "08:00" }, null)).toBe(true);
  });

  it("an invalid brief is a zod error, not a refusal", () => {
    expect(() => applyBrief(DEFAULT_GUARDRAIL_POLICY, 1, { holdoutShare: 2 })).toThrow();
  });
});

/** The brief over the policy's values, spelled out in the test (salt kept as the policy's unless the brief sets it). */
function overlayForTest(p: GuardrailPolicy, brief: Record<string, unknown>): Record<string, unknown> {
  const b = brief as {
    approvalPolicy?: object;
    eligibility?: { channelDailyCap?: object; channelRollingCap?: object } & Record<string, unknown>;
    fairness?: object;
  };
  return {
    ...brief,
    approvalPolicy: { ...p.approvalPolicy, ...b.approvalPolicy },
    maxDiscount: brief.maxDiscount ?? p.maxDiscount,
    holdoutShare: brief.holdoutShare ?? p.holdoutShare,
    globalControlShare: brief.globalControlShare ?? p.globalControlShare,
    globalControlSalt: brief.globalControlSalt ?? p.globalControlSalt,
    eligibility: {
      ...p.eligibility,
      ...b.eligibility,
      channelDailyCap: { ...p.eligibility.channelDailyCap, ...b.eligibility?.channelDailyCap },
      channelRollingCap: { ...p.eligibility.channelRollingCap, ...b.eligibility?.channelRollingCap },
    },
    fairness: { ...p.fairness, ...b.fairness },
    fairnessAttributes: brief.fairnessAttributes ?? p.fairnessAttributes,
  };
}
