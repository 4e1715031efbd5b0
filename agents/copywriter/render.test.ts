import { describe, expect, it } from "vitest";
import { CopyRenderError } from "./errors.js";
import { renderChecked, renderMessage } from "./render.js";

const sms = (text: string) => ({ variantId: "v-sms", channel: "sms" as const, fields: { text } });
const email = {
  variantId: "v-email",
  channel: "email" as const,
  fields: {
    subject: "{{first_name}}, 15% off {{category}}",
    preheader: "Your code is inside",
    body: "Hi {{first_name}},\n\nCode {{offer_code}} gives 15% off.\n\nUnsubscribe: {{unsubscribe_url}}",
    cta: "Claim 15% off",
  },
};
const vars = { first_name: "Ana", category: "grocery", offer_code: "SAVE-15X", unsubscribe_url: "https://shop.example/u/t0k" };

describe("renderMessage", () => {
  it("fills every placeholder", () => {
    const m = renderMessage(email, vars);
    expect(m.fields.subject).toBe("Ana, 15% off grocery");
    expect(m.fields.body).toContain("Code SAVE-15X gives 15% off.");
    expect(m.fields.body).toContain("https://shop.example/u/t0k");
    expect(m.firstNameFallback).toBe(false);
  });

  it("falls back to 'there' when the first name is missing, blank or longer than the worst case", () => {
    for (const first_name of [undefined, null, "  ", "Bartholomew-James"]) {
      const m = renderMessage(email, { ...vars, first_name });
      expect(m.fields.subject).toBe("there, 15% off grocery");
      expect(m.firstNameFallback).toBe(true);
    }
    expect(renderMessage(email, { ...vars, first_name: undefined }, { firstNameFallback: "friend" }).fields.subject).toBe(
      "friend, 15% off grocery",
    );
  });

  it("is strict: a placeholder without a value is an error, never sent", () => {
    expect(() => renderMessage(email, { ...vars, offer_code: undefined })).toThrow(CopyRenderError);
    expect(() => renderMessage(email, { ...vars, offer_code: undefined })).toThrow(/needs \{\{offer_code\}\}/);
  });

  it("refuses unknown placeholders and template logic", () => {
    expect(() => renderMessage(sms("Hi {{last_name}}"), vars)).toThrow(/other than a known/);
    expect(() => renderMessage(sms("{{#if first_name}}Hi{{/if}}"), vars)).toThrow(CopyRenderError);
    expect(() => renderMessage(sms("{{{first_name}}}"), vars)).toThrow(CopyRenderError);
    expect(() => renderMessage(sms("{{> partial}}"), vars)).toThrow(CopyRenderError);
    expect(() => renderMessage(sms("{{first_name"), vars)).toThrow(CopyRenderError);
  });

  it("appends the STOP text to SMS once", () => {
    expect(renderMessage(sms("{{first_name}}, 15% off: {{offer_code}}"), vars).fields.text).toBe(
      "Ana, 15% off: SAVE-15X Reply STOP to opt out",
    );
    expect(renderMessage(sms("Hi {{first_name}}. Reply STOP to opt out"), vars).fields.text).toBe("Hi Ana. Reply STOP to opt out");
  });

  it("keeps customer values from injecting template syntax or leaving GSM-7", () => {
    expect(renderMessage(sms("Hi {{first_name}}"), { first_name: "{{x}}Al" }).fields.text).toBe("Hi xAl Reply STOP to opt out");
    expect(renderMessage(sms("Hi {{first_name}}"), { first_name: "Zoë" }).fields.text).toBe("Hi Zoe Reply STOP to opt out");
    expect(renderMessage(sms("Hi {{first_name}}"), { first_name: "李明" }).fields.text).toBe("Hi there Reply STOP to opt out");
    // Other channels keep the name as written.
    expect(renderMessage(email, { ...vars, first_name: "Zoë" }).fields.subject).toBe("Zoë, 15% off grocery");
  });
});

describe("renderChecked", () => {
  const qa = { offer: { depth: 0.15 }, bannedWords: ["cheap"] };

  it("passes a clean message with its rendered-stage verdict", () => {
    const r = renderChecked(email, vars, qa);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.verdict.stage).toBe("rendered");
  });

  it("returns the render error instead of a message", () => {
    const r = renderChecked(email, { ...vars, unsubscribe_url: null }, qa);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toBeInstanceOf(CopyRenderError);
  });

  it("fails on what only shows after rendering: a banned word in a value, an over-long SMS", () => {
    const banned = renderChecked(email, { ...vars, category: "cheap stuff" }, qa);
    expect(!banned.ok && banned.verdict?.issues.map((i) => i.code)).toEqual(["banned_word"]);
    const long = renderChecked(sms(`{{category}} 15% off ${"x".repeat(120)}`), { ...vars, category: "home and garden" }, qa);
    expect(!long.ok && long.verdict?.issues.map((i) => i.code)).toEqual(["sms_too_long"]);
  });
});
