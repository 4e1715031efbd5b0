import { describe, expect, it } from "vitest";
import { segmentAssignmentEntrySchema } from "../../../guardrails/audit-entries.js";
import { signedLog1p } from "../../../tools/features-standardize.js";
import { FEATURE_COUNT, FEATURE_NAMES, type FeatureMatrix } from "../../../tools/features.js";
import { createRandom } from "../../../tools/segment-sample.js";
import { channelEngagement, featureIndex, hasConsent, maxEngagement, type CycleData } from "../cycle-data.js";
import { cycleSettingsSchema } from "../settings.js";
import {
  fatigueScoreRows,
  phaseClock,
  previousSegmentation,
  refreshSummary,
  segmentAssignmentBatches,
  segmentationColumns,
  segmentCustomers,
  segmentRunRecords,
} from "./refresh-steps.js";

const settings = cycleSettingsSchema.parse({});

/** Customers in three groups that differ in recency, frequency and spend (plus noise), seeded. */
function features(n: number, seed = 1): FeatureMatrix {
  const random = createRandom(seed);
  const values = new Float64Array(n * FEATURE_COUNT);
  const groups = [
    { recency_days: 10, frequency: 20, monetary: 2000, aov: 100 },
    { recency_days: 200, frequency: 2, monetary: 50, aov: 25 },
    { recency_days: 60, frequency: 6, monetary: 400, aov: 60 },
  ];
  for (let i = 0; i < n; i++) {
    const g = groups[i % groups.length]!;
    for (let j = 0; j < FEATURE_COUNT; j++) values[i * FEATURE_COUNT + j] = random.float() * 0.1;
    for (const [name, v] of Object.entries(g)) values[i * FEATURE_COUNT + featureIndex(name)] = v * (0.9 + 0.2 * random.float());
  }
  return { feature_names: FEATURE_NAMES, customer_ids: Array.from({ length: n }, (_, i) => `c${String(i).padStart(5, "0")}`), values };
}

function cycleData(f: FeatureMatrix): CycleData {
  const n = f.customer_ids.length;
  const engagement = new Float64Array(n * 4).fill(Number.NaN);
  engagement[0] = 0.4;
  engagement[2] = 0.7;
  return {
    asOf: new Date("2025-01-01T00:00:00Z"),
    customerIds: f.customer_ids,
    timezones: f.customer_ids.map(() => "UTC"),
    index: new Map(f.customer_ids.map((id, i) => [id, i])),
    features: f,
    fatigue: {
      score: Float64Array.from({ length: n }, (_, i) => (i % 10) / 10),
      strategy: f.customer_ids.map((_, i) => (i % 10 === 9 ? "cooldown" : "targeted_promo")),
      allowedChannels: f.customer_ids.map(() => ["email"]),
      engagement,
    },
    clv: {
      pAlive: new Float64Array(n).fill(0.5),
      expectedPurchases: new Float64Array(n).fill(1),
      clv: new Float64Array(n).fill(12.345678),
    },
    churn: new Float64Array(n).fill(0.25),
    churnAuc: 0.7,
    consented: Uint8Array.from({ length: n }, (_, i) => (i === 0 ? 0b0101 : 0)),
    baselinePurchase: new Float64Array(n),
    topCategory: f.customer_ids.map(() => null),
    seconds: 0,
  };
}

describe("refresh steps", () => {
  it("clusters money and count features on a log scale and keeps monetary raw", () => {
    const f = features(30);
    const names = ["recency_days", "discount_share"];
    const { data, monetary } = segmentationColumns(f, names);
    for (let i = 0; i < 30; i++) {
      expect(data[i * 2]).toBeCloseTo(signedLog1p(f.values[i * FEATURE_COUNT + featureIndex("recency_days")]!), 12);
      expect(data[i * 2 + 1]).toBe(f.values[i * FEATURE_COUNT + featureIndex("discount_share")]);
      expect(monetary[i]).toBe(f.values[i * FEATURE_COUNT + featureIndex("monetary")]);
    }
  });

  it("segments everyone, and a second run over the same customers keeps the segment ids", () => {
    const f = features(1500);
    const first = segmentCustomers(f, settings, null);
    expect(first.segmentIds).toHaveLength(1500);
    expect(first.summary.segments.reduce((n, s) => n + s.size, 0)).toBe(1500);
    for (let i = 0; i < 1500; i += 97) expect(first.segmentIds[i]).toBe(first.summary.segments[first.labels[i]!]!.id);

    const records = segmentRunRecords("cy.segments", new Date("2025-01-01Z"), first, settings);
    expect(records.segments.map((s) => s.segmentId)).toEqual(first.summary.segments.map((s) => s.id));
    const previous = previousSegmentation(
      {
        runId: "cy.segments",
        report: records.run.report as Record<string, unknown>,
        segments: records.segments.map((s) => ({ segmentId: s.segmentId, name: s.name, centroid: s.centroid })),
        memberships: new Map(f.customer_ids.map((id, i) => [id, first.segmentIds[i]!])),
      },
      settings.segmentFeatures,
    );
    expect(previous).not.toBeNull();
    const second = segmentCustomers(features(1500, 2), settings, previous);
    expect(new Set(second.segmentIds)).toEqual(new Set(first.segmentIds));
    expect(second.summary.identity.births).toEqual([]);
  });

  it("ignores a previous run over other features", () => {
    const previous = {
      runId: "old",
      report: { features: ["frequency"] },
      segments: [{ segmentId: "seg-1", name: "x", centroid: [0] }],
      memberships: new Map<string, string>(),
    };
    expect(previousSegmentation(previous, settings.segmentFeatures)).toBeNull();
    expect(previousSegmentation(undefined, settings.segmentFeatures)).toBeNull();
  });

  it("writes one valid assignment entry per customer, in batches", () => {
    const f = features(1000);
    const data = cycleData(f);
    const seg = segmentCustomers(f, settings, null);
    const batches = [...segmentAssignmentBatches("pulse", "cy", "cy.segments", data, seg, 300)];
    expect(batches.map((b) => b.length)).toEqual([300, 300, 300, 100]);
    const entries = batches.flat();
    expect(entries.map((e) => e.customerId)).toEqual(f.customer_ids);
    const parsed = segmentAssignmentEntrySchema.parse(entries[7]!.entry);
    expect(parsed).toMatchObject({
      runId: "cy.segments",
      segmentId: seg.segmentIds[7],
      scores: { clv: 12.3457, churn: 0.25, fatigue: 0.7 },
    });
  });

  it("summarises the run for the graph state", () => {
    const f = features(900);
    const seg = segmentCustomers(f, settings, null);
    const descriptions = new Map(seg.summary.segments.map((s) => [s.id, `about ${s.name}`]));
    const s = refreshSummary("cy.segments", 900, seg, descriptions, 0.7, 1.5, { load: 1 });
    expect(s.segments.reduce((n, x) => n + x.size, 0)).toBe(900);
    expect(s.segments.every((x) => x.description === `about ${x.name}` && x.traits.length > 0)).toBe(true);
    expect(s).toMatchObject({ customers: 900, k: seg.summary.k, churnAuc: 0.7, phases: { load: 1 } });
  });

  it("reads fatigue columns back per customer", () => {
    const data = cycleData(features(20));
    expect(channelEngagement(data.fatigue, 0, "email")).toBe(0.4);
    expect(channelEngagement(data.fatigue, 0, "sms")).toBeUndefined();
    expect(channelEngagement(data.fatigue, 0, "push")).toBe(0.7);
    expect(maxEngagement(data.fatigue, 0)).toBe(0.7);
    expect(maxEngagement(data.fatigue, 1)).toBe(0);
    expect(hasConsent(data, 0, "email")).toBe(true);
    expect(hasConsent(data, 0, "sms")).toBe(false);
    expect(hasConsent(data, 0, "push")).toBe(true);
    expect(hasConsent(data, 1, "email")).toBe(false);
    const rows = fatigueScoreRows(data.fatigue);
    expect(rows.details[0]).toEqual({ strategy: "targeted_promo", allowedChannels: ["email"], engagement: { email: 0.4, push: 0.7 } });
    expect(rows.values[9]).toBe(0.9);
  });

  it("times phases in the order they end", () => {
    let t = 0;
    const clock = phaseClock(() => t);
    t = 1500;
    clock.mark("load");
    t = 1750;
    clock.mark("segment");
    expect(clock.seconds()).toEqual({ load: 1.5, segment: 0.25 });
  });
});
