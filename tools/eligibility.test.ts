import { toJsonSchema } from "@langchain/core/utils/json_schema";
import { describe, expect, it } from "vitest";
import type { Channel } from "../ingest/formats.js";
import {
  checkEligibility,
  createEligibilityTool,
  maxSendsInWindowContaining,
  type CandidateContact,
  type CustomerContactData,
  type EligibilityConfigInput,
  type EligibilityDecision,
} from "./eligibility.js";
import { instantAtLocal, localTime } from "./eligibility-time-zone.js";

const granted = (channel: Channel, recordedAt = "2024-01-01T00:00:00Z") => ({
  channel,
  purpose: "marketing" as const,
  status: "granted" as const,
  recordedAt,
});
const customer = (over: Partial<CustomerContactData> = {}): CustomerContactData => ({
  customerId: "c1",
  timezone: "America/New_York",
  consents: [granted("email"), granted("sms"), granted("push"), granted("in_app")],
  ...over,
});
const candidate = (plannedAt: string, over: Partial<CandidateContact> = {}): CandidateContact => ({
  customerId: "c1",
  channel: "email",
  plannedAt,
  ...over,
});

function decide(
  c: CandidateContact,
  cust: CustomerContactData = customer(),
  config: EligibilityConfigInput = {},
  outOfStockCategories: string[] = [],
): EligibilityDecision {
  return checkEligibility({ candidates: [c], customers: [cust], config, outOfStockCategories }).decisions[0];
}
const codes = (d: EligibilityDecision) => d.reasons.map((r) => r.code);

describe("checkEligibility: quiet hours", () => {
  it("judges quiet hours on the customer's wall clock", () => {
    // 03:00 UTC on 6 March is 22:00 on 5 March in New York (EST) and noon in Tokyo.
    const ny = decide(candidate("2024-03-06T03:00:00Z"));
    expect(ny.eligible).toBe(false);
    expect(codes(ny)).toEqual(["quiet_hours"]);
    expect(ny.localPlannedAt).toBe("2024-03-05 22:00 America/New_York");
    expect(ny.reasons[0].message).toMatch(/22:00.*21:00-08:00/);
    const tokyo = decide(candidate("2024-03-06T03:00:00Z"), customer({ timezone: "Asia/Tokyo" }));
    expect(tokyo.eligible).toBe(true);
    expect(tokyo.localPlannedAt).toBe("2024-03-06 12:00 Asia/Tokyo");
  });

  it("treats the window as [start, end)", () => {
    expect(decide(candidate("2024-03-06T13:00:00Z")).eligible).toBe(true); // 08:00 NY
    expect(decide(candidate("2024-03-06T12:59:00Z")).eligible).toBe(false); // 07:59
    expect(decide(candidate("2024-03-07T01:59:00Z")).eligible).toBe(true); // 20:59
    expect(decide(candidate("2024-03-07T02:00:00Z")).eligible).toBe(false); // 21:00
  });

  it("supports a configured window and switching it off", () => {
    const noon = candidate("2024-03-06T17:30:00Z"); // 12:30 NY
    expect(codes(decide(noon, customer(), { quietHours: { start: "12:00", end: "14:00" } }))).toEqual(["quiet_hours"]);
    expect(decide(candidate("2024-03-06T03:00:00Z"), customer(), { quietHours: null }).eligible).toBe(true);
  });

  it("gives the next allowed time when quiet hours are the only blocker", () => {
    // 22:00 on 5 March NY → 08:00 on 6 March EST = 13:00 UTC.
    expect(decide(candidate("2024-03-06T03:00:00Z")).nextAllowedAt).toBe("2024-03-06T13:00:00.000Z");
    // 06:00 → 08:00 the same morning.
    expect(decide(candidate("2024-03-06T11:00:00Z")).nextAllowedAt).toBe("2024-03-06T13:00:00.000Z");
    // 01:00 EST on 10 March; clocks spring forward at 02:00, so 08:00 is EDT = 12:00 UTC.
    expect(decide(candidate("2024-03-10T06:00:00Z")).nextAllowedAt).toBe("2024-03-10T12:00:00.000Z");
    // Another blocker as well: no next time.
    expect(decide(candidate("2024-03-06T03:00:00Z"), customer({ suppressions: [{ channel: "all" }] })).nextAllowedAt).toBeNull();
    // Eligible: none needed.
    expect(decide(candidate("2024-03-06T15:00:00Z")).nextAllowedAt).toBeNull();
  });

  it("gives no next time when the contact would still be blocked then", () => {
    // One email already at 08:30 NY on 6 March: moving a 22:00 (5 March) email to 08:00 on the 6th hits the daily cap.
    const d = decide(candidate("2024-03-06T03:00:00Z"), customer({ sends: [{ channel: "email", at: "2024-03-06T13:30:00Z" }] }));
    expect(codes(d)).toEqual(["quiet_hours"]);
    expect(d.nextAllowedAt).toBeNull();
  });
});

describe("checkEligibility: frequency caps", () => {
  const noQuiet = { quietHours: null, channelRollingCap: { email: null, sms: null, push: null, in_app: null }, totalRollingCap: null };

  it("counts the daily cap in the customer's own calendar day, not UTC's", () => {
    // New York: 09:00 and 20:00 on 5 March are different UTC days but the same local day.
    const ny = decide(candidate("2024-03-06T01:00:00Z"), customer({ sends: [{ channel: "email", at: "2024-03-05T14:00:00Z" }] }), noQuiet);
    expect(codes(ny)).toEqual(["frequency_cap_channel"]);
    expect(ny.reasons[0].message).toMatch(/2024-03-05 \(customer-local day, America\/New_York\); cap 1 a day/);
    // Tokyo: 23:30 on 5 March and 00:30 on 6 March are the same UTC day but different local days.
    const tokyo = decide(
      candidate("2024-03-05T15:30:00Z"),
      customer({ timezone: "Asia/Tokyo", sends: [{ channel: "email", at: "2024-03-05T14:30:00Z" }] }),
      noQuiet,
    );
    expect(tokyo.eligible).toBe(true);
  });

  it("caps each channel over a rolling window", () => {
    const sends = [1, 2, 3, 4, 5].map((d) => ({ channel: "email" as const, at: `2024-03-0${d}T15:00:00Z` }));
    const d = decide(candidate("2024-03-06T15:00:00Z"), customer({ sends }), { totalRollingCap: null });
    expect(codes(d)).toEqual(["frequency_cap_channel"]);
    expect(d.reasons[0].message).toMatch(/5 email send\(s\) in a rolling 7-day window/);
    // Seven days after the first send, it has left the window.
    expect(decide(candidate("2024-03-08T15:00:00Z"), customer({ sends }), { totalRollingCap: null }).eligible).toBe(true);
    // Other channels are not affected by the email cap.
    expect(decide(candidate("2024-03-06T15:00:00Z", { channel: "sms" }), customer({ sends }), { totalRollingCap: null }).eligible).toBe(
      true,
    );
  });

  it("caps the total across channels, per day and over the rolling window", () => {
    const today = [
      { channel: "email" as const, at: "2024-03-06T14:00:00Z" },
      { channel: "sms" as const, at: "2024-03-06T15:00:00Z" },
    ];
    const d = decide(candidate("2024-03-06T18:00:00Z", { channel: "push" }), customer({ sends: today }));
    expect(codes(d)).toEqual(["frequency_cap_total"]);
    const week = Array.from({ length: 8 }, (_, i) => ({
      channel: (["email", "sms", "push", "in_app"] as const)[i % 4],
      at: `2024-03-0${1 + (i % 4)}T1${i}:00:00Z`,
    }));
    const w = decide(candidate("2024-03-06T15:00:00Z", { channel: "in_app" }), customer({ sends: week }), {
      channelRollingCap: { in_app: null },
    });
    expect(w.reasons.find((r) => r.code === "frequency_cap_total")?.message).toMatch(
      /8 send\(s\) across channels in a rolling 7-day window/,
    );
  });

  it("checks every rolling window containing the send, not only the one ending at it", () => {
    const day = 86_400_000;
    expect(maxSendsInWindowContaining([0, 6.5 * day], 3 * day, 7 * day)).toBe(2);
    expect(maxSendsInWindowContaining([0, 6.5 * day], 8 * day, 7 * day)).toBe(1);
    expect(maxSendsInWindowContaining([0, 7 * day], 7 * day, 7 * day)).toBe(1);
    expect(maxSendsInWindowContaining([], 0, 7 * day)).toBe(0);
  });

  it("reserves capacity for contacts approved earlier in the same batch, in planned-time order", () => {
    const later = candidate("2024-03-06T20:00:00Z", { candidateId: "later" });
    const earlier = candidate("2024-03-06T15:00:00Z", { candidateId: "earlier" });
    const out = checkEligibility({ candidates: [later, earlier], customers: [customer()] });
    expect(out.decisions.map((d) => [d.candidateId, d.eligible])).toEqual([
      ["later", false],
      ["earlier", true],
    ]);
    expect(codes(out.decisions[0])).toContain("frequency_cap_channel");
    expect(out.eligibleCount).toBe(1);
    const independent = checkEligibility({ candidates: [later, earlier], customers: [customer()], config: { reserveWithinBatch: false } });
    expect(independent.eligibleCount).toBe(2);
  });
});

describe("checkEligibility: consent, suppression and other rules", () => {
  const at = "2024-03-06T15:00:00Z"; // 10:00 in New York

  it("lets the latest consent record win", () => {
    const revokedLater = [
      granted("email", "2024-01-01T00:00:00Z"),
      { ...granted("email", "2024-02-01T00:00:00Z"), status: "revoked" as const },
    ];
    expect(codes(decide(candidate(at), customer({ consents: revokedLater })))).toEqual(["consent_revoked"]);
    const grantedLater = [
      { ...granted("email", "2024-01-01T00:00:00Z"), status: "revoked" as const },
      granted("email", "2024-02-01T00:00:00Z"),
    ];
    expect(decide(candidate(at), customer({ consents: grantedLater })).eligible).toBe(true);
    // Out of order in the input makes no difference.
    expect(codes(decide(candidate(at), customer({ consents: [...revokedLater].reverse() })))).toEqual(["consent_revoked"]);
  });

  it("requires marketing consent for the candidate's own channel", () => {
    expect(codes(decide(candidate(at), customer({ consents: [granted("sms")] })))).toEqual(["no_consent"]);
    const transactionalOnly = [{ ...granted("email"), purpose: "transactional" as const }];
    expect(codes(decide(candidate(at), customer({ consents: transactionalOnly })))).toEqual(["no_consent"]);
  });

  it("applies channel and all-channel suppressions", () => {
    expect(codes(decide(candidate(at), customer({ suppressions: [{ channel: "email", reason: "complaint" }] })))).toEqual(["suppressed"]);
    expect(codes(decide(candidate(at), customer({ suppressions: [{ channel: "all" }] })))).toEqual(["suppressed"]);
    expect(decide(candidate(at), customer({ suppressions: [{ channel: "sms" }] })).eligible).toBe(true);
  });

  it("blocks recent converters, out-of-stock offers and the global control group", () => {
    expect(codes(decide(candidate(at), customer({ lastConversionAt: "2024-03-03T15:00:00Z" })))).toEqual(["recent_converter"]);
    expect(decide(candidate(at), customer({ lastConversionAt: "2024-02-20T15:00:00Z" })).eligible).toBe(true);
    expect(decide(candidate(at), customer({ lastConversionAt: "2024-03-03T15:00:00Z" }), { recentConverterDays: null }).eligible).toBe(
      true,
    );
    expect(codes(decide(candidate(at, { category: "Grocery" }), customer(), {}, ["grocery"]))).toEqual(["out_of_stock"]);
    expect(decide(candidate(at, { category: "toys" }), customer(), {}, ["grocery"]).eligible).toBe(true);
    expect(codes(decide(candidate(at), customer({ globalControl: true })))).toEqual(["global_control"]);
  });

  it("reports every failing rule, each with a code and a sentence", () => {
    const d = decide(
      candidate("2024-03-06T03:00:00Z", { category: "toys" }),
      customer({
        consents: [granted("email", "2024-01-01T00:00:00Z"), { ...granted("email", "2024-02-01T00:00:00Z"), status: "revoked" }],
        suppressions: [{ channel: "all", reason: "legal hold" }],
        globalControl: true,
        sends: [
          { channel: "email", at: "2024-03-05T14:00:00Z" },
          { channel: "sms", at: "2024-03-05T15:00:00Z" },
        ],
        lastConversionAt: "2024-03-04T00:00:00Z",
      }),
      {},
      ["toys"],
    );
    expect(d.eligible).toBe(false);
    expect(new Set(codes(d))).toEqual(
      new Set([
        "consent_revoked",
        "suppressed",
        "global_control",
        "quiet_hours",
        "frequency_cap_channel",
        "frequency_cap_total",
        "recent_converter",
        "out_of_stock",
      ]),
    );
    for (const r of d.reasons) expect(r.message).toMatch(/^[A-Z0-9].{10,}\.$/);
    expect(d.nextAllowedAt).toBeNull();
  });

  it("refuses customers it knows nothing about and counts blockers", () => {
    const out = checkEligibility({
      candidates: [candidate(at, { customerId: "ghost" }), candidate(at), candidate(at, { channel: "sms", customerId: "c2" })],
      customers: [customer(), customer({ customerId: "c2", consents: [] })],
    });
    expect(codes(out.decisions[0])).toEqual(["unknown_customer"]);
    expect(out.decisions[1].eligible).toBe(true);
    expect(out.blockedBy).toEqual({ unknown_customer: 1, no_consent: 1 });
  });

  it("rejects unknown time zones and non-marketing purposes", () => {
    expect(() => decide(candidate(at), customer({ timezone: "Mars/Olympus" }))).toThrow();
    expect(() => decide(candidate(at, { purpose: "transactional" as "marketing" }))).toThrow();
  });

  it("is exposed as an agent tool that loads contact data itself", async () => {
    const tool = createEligibilityTool({
      loadCustomers: async (ids) => ids.map((customerId) => customer({ customerId })),
      loadOutOfStockCategories: async () => ["toys"],
    });
    const out = JSON.parse(await tool.invoke({ candidates: [candidate(at, { customerId: "c9", category: "toys" })] }));
    expect(out.decisions[0]).toMatchObject({ customerId: "c9", eligible: false, reasons: [{ code: "out_of_stock" }] });
  });
});

describe("agent tool schemas", () => {
  it("convert to JSON Schema, as binding them to a chat model requires", () => {
    for (const tool of [createEligibilityTool(), createEligibilityTool({ loadCustomers: async () => [] })])
      expect(() => toJsonSchema(tool.schema as Parameters<typeof toJsonSchema>[0])).not.toThrow();
  });
});

describe("time-zone helpers", () => {
  it("round-trips local wall times, including across DST", () => {
    for (const [tz, iso] of [
      ["America/New_York", "2024-03-10T12:00:00.000Z"],
      ["America/New_York", "2024-11-03T13:00:00.000Z"],
      ["Asia/Kolkata", "2024-06-01T02:30:00.000Z"],
      ["Australia/Lord_Howe", "2024-04-07T00:00:00.000Z"],
    ] as const) {
      const l = localTime(Date.parse(iso), tz);
      expect(new Date(instantAtLocal(tz, l.year, l.month, l.day, l.hour, l.minute)).toISOString()).toBe(iso);
    }
  });
});

describe("checkEligibility: learned fatigue limits (tools/fatigue-learning.ts)", () => {
  const noon = "2024-03-06T17:00:00Z"; // 12:00 in New York
  const sends = ["2024-03-01T17:00:00Z", "2024-03-03T17:00:00Z", "2024-03-04T17:00:00Z"].map((at) => ({ channel: "email" as const, at }));

  it("a learned cap tightens the configured one and says so; it never loosens it", () => {
    const tight = decide(candidate(noon, { learnedRollingCap: 3 }), customer({ sends }));
    expect(codes(tight)).toEqual(["frequency_cap_channel"]);
    expect(tight.reasons[0].message).toMatch(/cap 3 \(learned for the segment; policy cap 5\)/);
    expect(decide(candidate(noon), customer({ sends })).eligible).toBe(true);
    const loose = decide(candidate(noon, { learnedRollingCap: 9 }), customer({ sends }), { channelRollingCap: { email: 3 } });
    expect(codes(loose)).toEqual(["frequency_cap_channel"]);
    expect(loose.reasons[0].message).toMatch(/cap 3\.$/);
  });

  it("cools down a customer whose fatigue is above the segment's learned threshold", () => {
    const hot = decide(candidate(noon, { fatigue: 0.65, cooldownThreshold: 0.6 }));
    expect(codes(hot)).toEqual(["fatigue_cooldown"]);
    expect(hot.reasons[0].message).toMatch(/0\.65 is above the cool-down threshold 0\.6/);
    expect(decide(candidate(noon, { fatigue: 0.55, cooldownThreshold: 0.6 })).eligible).toBe(true);
  });
});
