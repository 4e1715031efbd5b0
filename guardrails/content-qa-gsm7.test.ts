import { describe, expect, it } from "vitest";
import { gsm7Length, isGsm7, toGsm7Friendly, transliterateToGsm7 } from "./content-qa-gsm7.js";

describe("gsm7Length", () => {
  it("counts basic characters as one septet", () => {
    expect(gsm7Length("Hello @ £5 ÄÖÜ äöü é")).toEqual({ septets: 20, nonGsm: [] });
  });

  it("counts extension characters as two septets", () => {
    for (const ch of ["^", "{", "}", "\\", "[", "~", "]", "|", "€"]) expect(gsm7Length(ch).septets).toBe(2);
    expect(gsm7Length("Save €5 [today]").septets).toBe(15 + 3);
  });

  it("reports characters outside GSM-7 once each", () => {
    const r = gsm7Length("Hi 😀 ‘quoted’ 😀");
    expect(r.nonGsm).toEqual(["😀", "‘", "’"]);
    expect(isGsm7("Hi there")).toBe(true);
    expect(isGsm7("Zoë")).toBe(false);
  });

  it("a 160-septet message with the STOP text", () => {
    const stop = " Reply STOP to opt out";
    const text = "a".repeat(160 - stop.length) + stop;
    expect(gsm7Length(text).septets).toBe(160);
    expect(gsm7Length(`€${text.slice(1)}`).septets).toBe(161);
  });
});

describe("toGsm7Friendly / transliterateToGsm7", () => {
  it("replaces typographic characters", () => {
    expect(toGsm7Friendly("It’s “new” – now…")).toBe('It\'s "new" - now...');
    expect(isGsm7(toGsm7Friendly("It’s “new” – now…"))).toBe(true);
  });

  it("drops accents GSM-7 lacks and keeps the ones it has", () => {
    expect(transliterateToGsm7("Zoë")).toBe("Zoe");
    expect(transliterateToGsm7("José")).toBe("José");
    expect(transliterateToGsm7("Łukasz")).toBeNull();
    expect(transliterateToGsm7("李")).toBeNull();
  });
});
