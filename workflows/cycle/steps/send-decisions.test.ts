import { describe, expect, it } from "vitest";
import { prepareAuditEntry } from "../../../guardrails/audit.js";
import type { MessageRow } from "../../../store/messages-repo.js";
import type { SuppressionRule } from "../../../store/suppression-rules-repo.js";
import { decideSend, outboundOf, sendEntryOf, suppressionEntryOf } from "./send-decisions.js";

const now = new Date("2026-03-02T10:00:00Z");
const message = (over: Partial<MessageRow> = {}): MessageRow => ({
  message_id: "m-1",
  dedupe_key: "c1|camp|k1|email",
  cycle_id: "c1",
  campaign_id: "camp",
  customer_id: "k1",
  channel: "email",
  strategy: "winback",
  offer_depth: 0.1,
  template_id: "winback.email",
  variant_id: "winback.email.1",
  content: { subject: "S", body: "B", cta: "Shop", unsubscribeUrl: "https://pulse.example/u/m-1", prompt: null },
  status: "queued",
  sent_at: null,
  ...over,
});
const granted = { status: "granted" as const, source: "signup_form", recordedAt: new Date("2025-01-01T00:00:00Z") };
const rule: SuppressionRule = {
  ruleId: "r1",
  channels: null,
  segmentId: null,
  reason: "stock outage",
  createdBy: "cli:mia",
  createdAt: new Date("2026-03-01T00:00:00Z"),
  until: new Date("2026-03-09T00:00:00Z"),
  liftedBy: null,
  liftedAt: null,
};

describe("decideSend", () => {
  it("sends with granted consent and no pause", () => {
    expect(decideSend(message(), granted, null)).toMatchObject({ action: "send", consent: granted });
  });

  it("suppresses a message whose consent was withdrawn or never given, whatever the pauses", () => {
    for (const consent of [{ ...granted, status: "revoked" as const }, undefined])
      expect(decideSend(message(), consent, rule)).toMatchObject({ action: "suppress", reasonCode: "consent_revoked_before_send" });
  });

  it("suppresses a message a pause stops, naming who paused, until when and why", () => {
    const d = decideSend(message(), granted, rule);
    expect(d).toMatchObject({ action: "suppress", reasonCode: "paused_before_send" });
    expect(d.action === "suppress" && d.reason).toBe(
      "paused at send time by cli:mia until 2026-03-09T00:00:00.000Z (rule r1: stock outage)",
    );
  });
});

describe("audit entries of a send", () => {
  it("a suppression entry the audit schema accepts", () => {
    const d = decideSend(message(), undefined, null);
    if (d.action !== "suppress") throw new Error("expected a suppression");
    const e = prepareAuditEntry(suppressionEntryOf("pulse", d), now);
    expect(e).toMatchObject({ kind: "suppression", customerId: "k1", cycleId: "c1", entry: { reasonCode: "consent_revoked_before_send" } });
  });

  it("a send entry with the offer and consent basis, accepted by the audit schema", () => {
    const e = prepareAuditEntry(sendEntryOf("pulse", message(), granted), now);
    expect(e.entry).toMatchObject({
      messageId: "m-1",
      dedupeKey: "c1|camp|k1|email",
      offer: { type: "percent_off", depth: 0.1 },
      consentBasis: {
        channel: "email",
        purpose: "marketing",
        status: "granted",
        source: "signup_form",
        recordedAt: "2025-01-01T00:00:00.000Z",
      },
    });
    expect((prepareAuditEntry(sendEntryOf("pulse", message({ offer_depth: 0 }), granted), now).entry as { offer: unknown }).offer).toEqual({
      type: "none",
      depth: 0,
    });
  });
});

describe("outboundOf", () => {
  it("gives the connector each channel's fields, with a tracked call to action", () => {
    const email = outboundOf(message(), now);
    expect(email).toMatchObject({
      channel: "email",
      dedupeKey: "c1|camp|k1|email",
      sentAt: now.toISOString(),
      content: { subject: "S", preheader: "", body: "B", cta: { label: "Shop", url: "https://pulse.example/c/m-1" } },
    });
    expect(outboundOf(message({ channel: "sms", content: { text: "Hi STOP to end" } }), now).content).toEqual({ text: "Hi STOP to end" });
    expect(outboundOf(message({ channel: "in_app", content: { title: "T", body: "B" } }), now).content).toEqual({
      title: "T",
      body: "B",
      cta: { label: "Open", url: "https://pulse.example/c/m-1" },
    });
  });
});
