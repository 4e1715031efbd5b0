import { describe, expect, it } from "vitest";
import { LlmPiiError } from "./errors.js";
import { assertNoContactData, findContactData, redactPii } from "./redact.js";

describe("redactPii", () => {
  it("masks e-mail addresses", () => {
    expect(redactPii("Contact jane.doe+promo@mail.example.co.uk or J_Smith@shop.io.")).toBe("Contact [email] or [email].");
  });

  it.each([
    ["+44 20 7946 0958", "international with spaces"],
    ["+1-212-555-0199", "international with dashes"],
    ["+33 (0)1 23 45 67 89", "international with trunk in parentheses"],
    ["(212) 555-0199", "North American with parentheses"],
    ["212-555-0199", "North American with dashes"],
    ["212.555.0199", "North American with dots"],
    ["020 7946 0958", "UK national"],
    ["07700 900123", "UK mobile"],
  ])("masks the phone number %s (%s)", (phone) => {
    expect(redactPii(`call ${phone} today`)).toBe("call [phone] today");
  });

  it("leaves ordinary numbers alone: amounts, dates, counts, ids, percentages, versions", () => {
    const text =
      "Revenue 1234567.89 on 2024-01-15 at 10:30; 340 customers; +12% lift; segment s-12; v1.2.3; ratio 0.85; order 1000023; 1 000 000 rows";
    expect(redactPii(text)).toBe(text);
    expect(findContactData(text)).toEqual([]);
  });

  it("masks 64-hex hashes but not shorter hex", () => {
    const hash = "0123456789abcdef".repeat(4);
    expect(redactPii(`hash ${hash} and commit deadbeef`)).toBe("hash [hash] and commit deadbeef");
    expect(redactPii(`${hash.toUpperCase()}`)).toBe("[hash]");
  });

  it("masks customer ids by the given patterns, with or without the global flag", () => {
    expect(redactPii("members C-000123 and C-000456", { customerIdPatterns: [/C-\d{6}/] })).toBe("members [customer-id] and [customer-id]");
    expect(redactPii("members C-000123 and C-000456", { customerIdPatterns: [/C-\d{6}/g] })).toBe(
      "members [customer-id] and [customer-id]",
    );
  });

  it("masks a phone number once even when several shapes match it", () => {
    expect(redactPii("+1 212-555-0199")).toBe("[phone]");
  });
});

describe("assertNoContactData", () => {
  it("throws LlmPiiError naming what it found", () => {
    expect(() => assertNoContactData("mail a@b.com or ring 212-555-0199", "user prompt")).toThrow(LlmPiiError);
    try {
      assertNoContactData("mail a@b.com or ring 212-555-0199", "user prompt");
    } catch (err) {
      expect((err as LlmPiiError).kinds).toEqual(["email", "phone"]);
      expect((err as LlmPiiError).message).toBe("user prompt contains email and phone; refusing to send it to the LLM");
      expect((err as LlmPiiError).message).not.toContain("a@b.com");
    }
  });

  it("accepts segment profiles and pseudonymous ids", () => {
    expect(() =>
      assertNoContactData(`Segment s-3 (412 customers, median basket 58.20 EUR, recency 41 days), member ${"a".repeat(64)}`),
    ).not.toThrow();
  });
});
