import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { InputError } from "../core/errors.js";
import { hillstromFeatureNames, hillstromFeatures, hillstromUpliftRows, parseHillstromCsv, treatmentArm } from "./hillstrom.js";

const sample = readFileSync(new URL("./data/hillstrom/sample.csv", import.meta.url), "utf8");
const header = "recency,history_segment,history,mens,womens,zip_code,newbie,channel,segment,visit,conversion,spend";

describe("parseHillstromCsv", () => {
  it("reads the sample: 3,000 rows, 1,000 per arm, quoted segments, outcomes", () => {
    const file = parseHillstromCsv(sample);
    expect(file.rows).toHaveLength(3000);
    expect(file.hasSegment).toBe(true);
    expect(file.outcomes).toEqual(["visit", "conversion", "spend"]);
    for (const s of ["Mens E-Mail", "Womens E-Mail", "No E-Mail"]) expect(file.rows.filter((r) => r.segment === s)).toHaveLength(1000);
    expect(file.rows.some((r) => r.history_segment === "6) $750 - $1,000")).toBe(true);
    expect(file.rows[0].line).toBe(2);
    expect(file.raw[0]).toHaveLength(12);
  });

  it("encodes features: numeric, log history, flags and one-hot groups that each sum to 1", () => {
    const file = parseHillstromCsv(`${header}\n10,"2) $100 - $200",142.44,1,0,Surburban,0,Phone,Womens E-Mail,0,0,0\n`);
    const x = hillstromFeatures(file.rows[0]);
    expect(x).toHaveLength(hillstromFeatureNames.length);
    const named = Object.fromEntries(hillstromFeatureNames.map((n, i) => [n, x[i]]));
    expect(named.recency).toBe(10);
    expect(named.log_history).toBeCloseTo(Math.log(143.44));
    expect(named.zip_Surburban).toBe(1);
    expect(named.channel_Phone).toBe(1);
    expect(named.history_segment_2).toBe(1);
    expect(x.slice(5).reduce((a, b) => a + b, 0)).toBe(3);
  });

  it("reads a score file without segment and outcome columns", () => {
    const file = parseHillstromCsv(
      "recency,history_segment,history,mens,womens,zip_code,newbie,channel\n3,1) $0 - $100,50,0,1,Rural,1,Web\n",
    );
    expect(file.hasSegment).toBe(false);
    expect(file.outcomes).toEqual([]);
    expect(() => hillstromUpliftRows(file, "any", "visit", "score.csv")).toThrow(/score.csv line 1: missing column "segment"/);
  });

  it("names the file and line of what it cannot accept", () => {
    expect(() => parseHillstromCsv("recency,history\n1,2\n", "a.csv")).toThrow(InputError);
    expect(() => parseHillstromCsv("recency,history\n1,2\n", "a.csv")).toThrow(/a\.csv line 1: missing column\(s\) "history_segment"/);
    const bad = `${header}\n10,1) $0 - $100,142.44,1,0,Urban,0,Phone,No E-Mail,0,0,0\n\n4,1) $0 - $100,abc,1,0,Urban,0,Phone,No E-Mail,0,0,0\n`;
    expect(() => parseHillstromCsv(bad, "b.csv")).toThrow(/b\.csv line 4: column "history" is "abc", expected a number/);
    const badCategory = `${header}\n10,1) $0 - $100,142.44,1,0,Mars,0,Phone,No E-Mail,0,0,0\n`;
    expect(() => parseHillstromCsv(badCategory, "c.csv")).toThrow(/c\.csv line 2: column "zip_code" is "Mars"/);
    const short = `${header}\n10,1) $0 - $100,142.44\n`;
    expect(() => parseHillstromCsv(short, "d.csv")).toThrow(/d\.csv line 2: 3 fields, the header has 12/);
    expect(() => parseHillstromCsv("", "e.csv")).toThrow(/empty file/);
  });
});

describe("treatment arms", () => {
  it("maps segments to treated, control, or left out", () => {
    expect(treatmentArm("No E-Mail", "any")).toBe(false);
    expect(treatmentArm("Mens E-Mail", "any")).toBe(true);
    expect(treatmentArm("Womens E-Mail", "Mens E-Mail")).toBeNull();
    expect(treatmentArm("Womens E-Mail", "Womens E-Mail")).toBe(true);
    const file = parseHillstromCsv(sample);
    expect(hillstromUpliftRows(file, "any", "visit")).toHaveLength(3000);
    const mens = hillstromUpliftRows(file, "Mens E-Mail", "spend");
    expect(mens).toHaveLength(2000);
    expect(mens.filter((r) => r.treated)).toHaveLength(1000);
  });
});
