import { describe, expect, it } from "vitest";
import {
  assertNoProtectedFeatures,
  assessFairness,
  fairnessVerdict,
  ProtectedFeatureError,
  protectedFeaturesIn,
  type FairnessSubject,
} from "./fairness.js";

function group(value: string, size: number, offered: number, discount: number, attr = "age_band"): FairnessSubject[] {
  return Array.from({ length: size }, (_, i) => ({
    attributes: { [attr]: value },
    offered: i < offered,
    discount: i < offered ? discount : 0,
  }));
}

describe("assessFairness", () => {
  it("passes when selection rates and discount depths are close", () => {
    const r = assessFairness([...group("18-34", 100, 50, 0.1), ...group("35-54", 100, 45, 0.09)], ["age_band"]);
    expect(r.passed).toBe(true);
    expect(r.attributes[0]!.selection.ratio).toBeCloseTo(0.9);
    expect(r.attributes[0]!.discount.ratio).toBeCloseTo(0.9);
  });
  it("flags a selection-rate ratio below 0.8, naming the lowest and highest groups", () => {
    const r = assessFairness(
      [...group("18-34", 100, 50, 0.1), ...group("35-54", 100, 30, 0.1), ...group("55+", 100, 48, 0.1)],
      ["age_band"],
    );
    expect(r.passed).toBe(false);
    const a = r.attributes[0]!;
    expect(a.selection).toMatchObject({ flagged: true, lowest: { group: "35-54", value: 0.3 }, highest: { group: "18-34", value: 0.5 } });
    expect(a.selection.ratio).toBeCloseTo(0.6);
    expect(r.reasons).toEqual([
      expect.stringMatching(/age_band: selection rate .* ratio 0\.60 is below 0\.8: lowest "35-54" \(30%\), highest "18-34" \(50%\)/),
    ]);
  });
  it("flags discount depth disparity among those offered", () => {
    const r = assessFairness([...group("north", 50, 25, 0.2, "region"), ...group("south", 50, 25, 0.1, "region")], ["region"]);
    expect(r.attributes[0]!.selection.flagged).toBe(false);
    expect(r.attributes[0]!.discount).toMatchObject({ flagged: true, ratio: 0.5, lowest: { group: "south" }, highest: { group: "north" } });
  });
  it("leaves small groups out of the ratios and labels missing values", () => {
    const subjects = [
      ...group("a", 100, 50, 0.1),
      ...group("b", 100, 50, 0.1),
      ...group("tiny", 3, 0, 0),
      { attributes: {}, offered: false, discount: 0 },
    ];
    const r = assessFairness(subjects, ["age_band"]);
    expect(r.passed).toBe(true);
    expect(r.attributes[0]!.groups.map((g) => [g.group, g.tooSmall])).toEqual([
      ["(unknown)", true],
      ["a", false],
      ["b", false],
      ["tiny", true],
    ]);
  });
  it("does not flag when nobody is offered anything", () => {
    expect(assessFairness([...group("a", 40, 0, 0), ...group("b", 40, 0, 0)], ["age_band"]).passed).toBe(true);
  });
  it("makes a guardrail verdict for the audit log and the approval policy", () => {
    const r = assessFairness([...group("x", 40, 40, 0.1), ...group("y", 40, 10, 0.1)], ["age_band"]);
    expect(fairnessVerdict(r, "plan p1")).toMatchObject({
      check: "fairness",
      subject: "plan p1",
      passed: false,
      details: { age_band: { selectionRatio: 0.25 } },
    });
  });
});

describe("protected attributes are never features", () => {
  it("finds protected attributes and their encodings, not look-alikes", () => {
    expect(
      protectedFeaturesIn([
        "recency",
        "age_band",
        "Gender",
        "age_band=18-24",
        "attributes.religion",
        "region__north",
        "account_age_days",
        "age_of_account",
      ]),
    ).toEqual(["age_band", "Gender", "age_band=18-24", "attributes.religion"]);
    expect(protectedFeaturesIn(["region__north"], ["region"])).toEqual(["region__north"]);
  });
  it("throws a named error listing them", () => {
    expect(() => assertNoProtectedFeatures(["recency", "frequency", "monetary"])).not.toThrow();
    expect(() => assertNoProtectedFeatures(["recency", "sex"])).toThrow(ProtectedFeatureError);
    expect(() => assertNoProtectedFeatures(["recency", "sex"])).toThrow(/protected attributes may not be model features: sex/);
  });
});
