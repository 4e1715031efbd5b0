import { describe, expect, it } from "vitest";
import { type ContentQaInput, checkContent, findBannedWords, formatPercent, statedPercents } from "./content-qa.js";

const email = (over: Partial<Record<"subject" | "preheader" | "body" | "cta", string>> = {}) => ({
  subject: "{{first_name}}, 15% off {{category}} for you",
  preheader: "Your code is inside.",
  body: "Hi {{first_name}},\n\nUse {{offer_code}} for 15% off.\n\nUnsubscribe: {{unsubscribe_url}}",
  cta: "Claim 15% off",
  ...over,
});

const codes = (input: ContentQaInput) => checkContent(input).issues.map((i) => i.code);
const offer15 = { depth: 0.15, maxDepth: 0.2 };

describe("checkContent: template stage", () => {
  it("passes good email copy", () => {
    const v = checkContent({ channel: "email", fields: email(), stage: "template", offer: offer15 });
    expect(v.issues).toEqual([]);
    expect(v.ok).toBe(true);
    // {{first_name}} and {{category}} measured at 12 characters each.
    expect(v.lengths.subject).toBe("XXXXXXXXXXXX, 15% off XXXXXXXXXXXX for you".length);
  });

  it("catches an over-long subject, measured with worst-case placeholders", () => {
    const subject = "{{first_name}}, take 15% off everything in {{category}} this week only"; // 68 at worst case
    const v = checkContent({ channel: "email", fields: email({ subject }), stage: "template", offer: offer15 });
    expect(v.issues).toEqual([
      expect.objectContaining({ code: "too_long", field: "subject", message: "subject is 68 characters at worst case; the limit is 60" }),
    ]);
    // 55 characters with 12-character placeholders, 73 if first names may be 30 long.
    const fits = "{{first_name}}, 15% off everything in {{category}} this week";
    expect(checkContent({ channel: "email", fields: email({ subject: fits }), stage: "template", offer: offer15 }).ok).toBe(true);
    expect(
      codes({ channel: "email", fields: email({ subject: fits }), stage: "template", offer: offer15, worstCase: { first_name: 30 } }),
    ).toEqual(["too_long"]);
  });

  it("catches a missing unsubscribe placeholder and a missing preheader", () => {
    expect(
      codes({ channel: "email", fields: email({ body: "Hi, 15% off with {{offer_code}}." }), stage: "template", offer: offer15 }),
    ).toEqual(["missing_unsubscribe"]);
    expect(codes({ channel: "email", fields: email({ preheader: " " }), stage: "template", offer: offer15 })).toEqual(["missing_field"]);
  });

  it("allows only known placeholders, where they may appear", () => {
    const c = (subject: string) => codes({ channel: "email", fields: email({ subject }), stage: "template", offer: offer15 });
    expect(c("{{last_name}}, 15% off")).toEqual(["unknown_placeholder"]);
    expect(c("{{unsubscribe_url}} 15% off")).toContain("placeholder_not_allowed");
    expect(c("{{#if first_name}}Hi{{/if}} 15% off")).toContain("malformed_placeholder");
    expect(c("{{{first_name}}}, 15% off")).toEqual(["malformed_placeholder"]);
    expect(c("[First Name], 15% off")).toEqual(["malformed_placeholder"]);
    expect(c("{first_name}, 15% off")).toEqual(["malformed_placeholder"]);
    expect(c("{{ first_name }}, 15% off")).toEqual([]);
  });

  it("catches a wrong discount: copy says 20% but the offer is 15%", () => {
    const v = checkContent({
      channel: "email",
      fields: email({ subject: "{{first_name}}, 20% off {{category}}" }),
      stage: "template",
      offer: offer15,
    });
    expect(v.issues).toEqual([
      expect.objectContaining({ code: "wrong_discount", field: "subject", message: "subject states 20% but the approved offer is 15%" }),
    ]);
  });

  it("requires the approved discount to be stated, and no discount when none is approved", () => {
    const noPercent = { subject: "{{first_name}}, new {{category}}", body: "Hi.\n\n{{unsubscribe_url}}", cta: "Shop now" };
    expect(codes({ channel: "email", fields: email(noPercent), stage: "template", offer: offer15 })).toEqual(["missing_discount"]);
    expect(codes({ channel: "email", fields: email(noPercent), stage: "template", offer: { depth: 0 } })).toEqual([]);
    expect(codes({ channel: "push", fields: { title: "10 percent off", body: "Today" }, stage: "template", offer: { depth: 0 } })).toEqual([
      "wrong_discount",
    ]);
  });

  it("flags offers that were not approved and offers over the cap", () => {
    expect(
      codes({ channel: "push", fields: { title: "15% off + free shipping", body: "Today" }, stage: "template", offer: offer15 }),
    ).toEqual(["unapproved_offer"]);
    expect(codes({ channel: "push", fields: { title: "$10 off today", body: "Plus 15% off" }, stage: "template", offer: offer15 })).toEqual(
      ["unapproved_offer"],
    );
    expect(
      codes({ channel: "push", fields: { title: "30% off", body: "Today" }, stage: "template", offer: { depth: 0.3, maxDepth: 0.2 } }),
    ).toEqual(["offer_over_cap", "offer_over_cap"]);
  });

  it("catches banned words on word boundaries, case-insensitively", () => {
    const v = checkContent({
      channel: "push",
      fields: { title: "CHEAP {{category}}: 15% off", body: "Last chance, {{first_name}}" },
      stage: "template",
      offer: offer15,
      bannedWords: ["cheap", "last chance", "hurry"],
    });
    expect(v.issues.map((i) => [i.code, i.field])).toEqual([
      ["banned_word", "title"],
      ["banned_word", "body"],
    ]);
    expect(findBannedWords("cheaper hurrying", ["cheap", "hurry"])).toEqual([]);
  });

  it("measures SMS in GSM-7 septets with the STOP text appended", () => {
    const base = "{{first_name}}, 15% off with {{offer_code}}. ";
    const fill = 160 - (12 + ", 15% off with ".length + 12 + 2) - " Reply STOP to opt out".length; // 160 at worst case
    const ok = checkContent({ channel: "sms", fields: { text: base + "a".repeat(fill) }, stage: "template", offer: offer15 });
    expect(ok.lengths.text).toBe(160);
    expect(ok.ok).toBe(true);
    const over = checkContent({ channel: "sms", fields: { text: base + "a".repeat(fill - 1) + "€" }, stage: "template", offer: offer15 });
    expect(over.lengths.text).toBe(161);
    expect(over.issues.map((i) => i.code)).toEqual(["sms_too_long"]);
  });

  it("fails SMS with characters outside GSM-7", () => {
    expect(codes({ channel: "sms", fields: { text: "15% off 🎉 {{offer_code}}" }, stage: "template", offer: offer15 })).toEqual([
      "sms_not_gsm7",
    ]);
  });

  it("checks push and in-app limits", () => {
    const v = checkContent({
      channel: "push",
      fields: { title: "{{first_name}}, 15% off all {{category}} now", body: "x".repeat(121) },
      stage: "template",
      offer: offer15,
    });
    expect(v.issues.map((i) => [i.code, i.field])).toEqual([
      ["too_long", "title"],
      ["too_long", "body"],
    ]);
    expect(codes({ channel: "in_app", fields: { title: "15% off", body: "Now" }, stage: "template", offer: offer15 })).toEqual([
      "missing_field",
    ]);
  });
});

describe("checkContent: rendered stage", () => {
  it("catches unresolved placeholders", () => {
    const v = checkContent({
      channel: "push",
      fields: { title: "Ana, 15% off", body: "Use {{offer_code}} today" },
      stage: "rendered",
      offer: offer15,
    });
    expect(v.issues.map((i) => i.code)).toEqual(["unresolved_placeholder"]);
    expect(
      codes({ channel: "push", fields: { title: "[First Name], 15% off", body: "Today" }, stage: "rendered", offer: offer15 }),
    ).toEqual(["unresolved_placeholder"]);
  });

  it("requires the STOP text in a rendered SMS", () => {
    expect(codes({ channel: "sms", fields: { text: "Ana, 15% off with AB12." }, stage: "rendered", offer: offer15 })).toEqual([
      "missing_stop",
    ]);
    expect(
      codes({ channel: "sms", fields: { text: "Ana, 15% off with AB12. Reply STOP to opt out" }, stage: "rendered", offer: offer15 }),
    ).toEqual([]);
  });

  it("requires the customer's unsubscribe link in a rendered email", () => {
    const fields = { subject: "Ana, 15% off", preheader: "Inside", body: "Hi Ana. Code AB12.\nUnsubscribe: https://x.test/u/1", cta: "Go" };
    expect(codes({ channel: "email", fields, stage: "rendered", offer: offer15, unsubscribeUrl: "https://x.test/u/1" })).toEqual([]);
    expect(codes({ channel: "email", fields, stage: "rendered", offer: offer15, unsubscribeUrl: "https://x.test/u/2" })).toEqual([
      "missing_unsubscribe",
    ]);
    expect(codes({ channel: "email", fields: { ...fields, body: "Hi Ana. 15% off." }, stage: "rendered", offer: offer15 })).toEqual([
      "missing_unsubscribe",
    ]);
  });

  it("returns every failing reason at once", () => {
    const v = checkContent({
      channel: "email",
      fields: { subject: "x".repeat(61) + " 20% off", preheader: "", body: "cheap {{first_name}}", cta: "Go" },
      stage: "rendered",
      offer: offer15,
      bannedWords: ["cheap"],
    });
    expect(new Set(v.issues.map((i) => i.code))).toEqual(
      new Set([
        "missing_field",
        "unresolved_placeholder",
        "too_long",
        "missing_unsubscribe",
        "wrong_discount",
        "banned_word",
        "missing_discount",
      ]),
    );
  });
});

describe("helpers", () => {
  it("formats and reads percentages", () => {
    expect(formatPercent(0.15)).toBe("15");
    expect(formatPercent(0.125)).toBe("12.5");
    expect(formatPercent(0.1 + 0.2)).toBe("30");
    expect(statedPercents("15% off, 20 percent, 12.5 % and half price")).toEqual([15, 20, 12.5, 50]);
  });
});
