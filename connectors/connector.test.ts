import { describe, expect, it } from "vitest";
import { emailMessage, smsMessage } from "./connector-fixtures.js";
import { outboundMessageSchema, parseOutboundMessage } from "./connector.js";
import { InvalidOutboundMessageError } from "./delivery-errors.js";

describe("outboundMessageSchema", () => {
  it("accepts a message for each channel", () => {
    const base = {
      messageId: "m1",
      dedupeKey: "k1",
      cycleId: "c1",
      campaignId: "p1",
      customerId: "u1",
      sentAt: "2024-05-01T10:00:00+02:00",
    };
    const ok = [
      emailMessage(),
      smsMessage(),
      { ...base, channel: "push", content: { title: "Back in stock", body: "Your size is back." } },
      { ...base, channel: "in_app", content: { title: "Hi", body: "A gift for you", cta: { label: "Open", url: "shopapp://gift/1" } } },
    ];
    for (const m of ok) expect(outboundMessageSchema.safeParse(m).success).toBe(true);
  });

  it("checks content against the channel", () => {
    const m = { ...smsMessage(), content: { subject: "x", preheader: "", body: "y", unsubscribeUrl: "https://u.example" } };
    expect(() => parseOutboundMessage(m)).toThrow(InvalidOutboundMessageError);
    expect(() => parseOutboundMessage(m)).toThrow(/^content\.text/);
  });

  it("requires an unsubscribe URL on email and a header-safe dedupe key", () => {
    const e = emailMessage();
    expect(() => parseOutboundMessage({ ...e, content: { ...e.content, unsubscribeUrl: "javascript:alert(1)" } })).toThrow(
      /unsubscribeUrl/,
    );
    expect(() => parseOutboundMessage({ ...e, content: { ...e.content, cta: { label: "Go", url: "javascript:alert(1)" } } })).toThrow(
      /cta\.url/,
    );
    expect(() => parseOutboundMessage({ ...e, dedupeKey: "has space" })).toThrow(/dedupeKey/);
    expect(() => parseOutboundMessage({ ...e, dedupeKey: "line\r\nbreak" })).toThrow(/dedupeKey/);
    expect(() => parseOutboundMessage({ ...e, sentAt: "yesterday" })).toThrow(/sentAt/);
    expect(() => parseOutboundMessage({ ...e, channel: "fax" })).toThrow(InvalidOutboundMessageError);
  });

  it("drops unknown fields, so connectors never forward them", () => {
    const parsed = parseOutboundMessage({ ...smsMessage(), email: "someone@example.com" });
    expect(parsed).not.toHaveProperty("email");
  });
});
