import type { OutboundMessage } from "./connector.js";

/** Test data: valid messages for each channel. */
let counter = 0;

export function emailMessage(overrides: Partial<Extract<OutboundMessage, { channel: "email" }>> = {}): OutboundMessage {
  counter += 1;
  const id = `m${counter}`;
  return {
    messageId: id,
    dedupeKey: `cyc1:camp1:cust${counter}:email`,
    cycleId: "cyc1",
    campaignId: "camp1",
    customerId: `cust${counter}`,
    channel: "email",
    content: {
      subject: "Your weekend picks",
      preheader: "New in for you",
      body: "Hello, here are a few things we think you will like.",
      cta: { label: "Shop now", url: "https://shop.example/picks" },
      unsubscribeUrl: "https://shop.example/unsubscribe/abc",
    },
    sentAt: "2024-05-01T10:00:00.000Z",
    ...overrides,
  };
}

export function smsMessage(overrides: Partial<Extract<OutboundMessage, { channel: "sms" }>> = {}): OutboundMessage {
  counter += 1;
  return {
    messageId: `s${counter}`,
    dedupeKey: `cyc1:camp2:cust${counter}:sms`,
    cycleId: "cyc1",
    campaignId: "camp2",
    customerId: `cust${counter}`,
    channel: "sms",
    content: { text: "20% off this weekend. Reply STOP to opt out." },
    sentAt: "2024-05-01T10:00:00Z",
    ...overrides,
  };
}
