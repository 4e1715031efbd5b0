import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CHANNELS } from "../ingest/formats.js";
import { chooseChannel } from "./channel-choice.js";

const optionArb = (channel: (typeof CHANNELS)[number]) =>
  fc
    .record({
      consented: fc.boolean(),
      backedOff: fc.boolean(),
      sends: fc.integer({ min: 0, max: 200 }),
      responses: fc.integer({ min: 0, max: 200 }),
      segmentResponseRate: fc.double({ min: 0, max: 1, noNaN: true }),
      segmentUplift: fc.double({ min: -0.2, max: 0.3, noNaN: true }),
      costPerMessage: fc.double({ min: 0, max: 0.2, noNaN: true }),
    })
    .map((o) => ({ channel, ...o }));
const optionsArb = fc.subarray([...CHANNELS], { minLength: 1 }).chain((chs) => fc.tuple(...chs.map(optionArb)));

describe("chooseChannel (properties)", () => {
  it("never chooses a channel without consent or backed off, and only one that pays", () => {
    fc.assert(
      fc.property(optionsArb, fc.double({ min: 0, max: 100, noNaN: true }), (options, value) => {
        const out = chooseChannel({ options, valuePerConversion: value });
        if (out.channel === null) return;
        const chosen = options.find((o) => o.channel === out.channel)!;
        expect(chosen.consented).toBe(true);
        expect(chosen.backedOff).toBe(false);
        expect(out.expectedNet).toBeGreaterThan(0);
        for (const s of out.scored) if (s.eligible) expect(s.net).toBeLessThanOrEqual(out.expectedNet);
      }),
      { numRuns: 500 },
    );
  });
});

describe("chooseChannel", () => {
  const base = { consented: true, backedOff: false, sends: 0, responses: 0, segmentResponseRate: 0.1, costPerMessage: 0.01 };
  it("keeps uplift a number within [-1, 1] when the segment's response rate all but vanishes", () => {
    const out = chooseChannel({
      options: [
        { ...base, channel: "sms", sends: 1, responses: 1, segmentResponseRate: 5e-324, segmentUplift: 0, costPerMessage: 0 },
        { ...base, channel: "email", sends: 1, responses: 1, segmentResponseRate: 5e-324, segmentUplift: 1e-300, costPerMessage: 0 },
      ],
      valuePerConversion: 1,
    });
    expect(out.scored.map((s) => s.uplift)).toEqual([0, 1]);
    expect(out.channel).toBe("email");
  });
  it("takes the segment's best channel for a new customer and the customer's own for a seasoned one", () => {
    const fresh = chooseChannel({
      valuePerConversion: 20,
      options: [
        { ...base, channel: "email", segmentUplift: 0.02 },
        { ...base, channel: "sms", segmentUplift: 0.03, costPerMessage: 0.05 },
      ],
    });
    expect(fresh.channel).toBe("sms");
    const seasoned = chooseChannel({
      valuePerConversion: 20,
      options: [
        { ...base, channel: "email", segmentUplift: 0.02, sends: 100, responses: 40 },
        { ...base, channel: "sms", segmentUplift: 0.03, costPerMessage: 0.05, sends: 100, responses: 1 },
      ],
    });
    expect(seasoned.channel).toBe("email");
    expect(seasoned.reasons.at(-1)).toMatch(/chose email/);
  });

  it("sends nothing when no consented channel pays", () => {
    const out = chooseChannel({ valuePerConversion: 20, options: [{ ...base, channel: "push", consented: false, segmentUplift: 0.2 }] });
    expect(out.channel).toBeNull();
    expect(out.reasons.join(" ")).toMatch(/push: no consent/);
  });
});
