import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { signWebhookPayload, verifyWebhookSignature } from "./webhook-signature.js";

const secret = "whsec_test_0123456789abcdef";
const body = '{"messageId":"m1","content":{"text":"héllo"}}';
const t = 1_714_557_600;

describe("webhook signatures", () => {
  it("signs HMAC-SHA256 over `${t}.${body}` in the documented header format", () => {
    const expected = createHmac("sha256", secret).update(`${t}.${body}`).digest("hex");
    expect(signWebhookPayload(secret, body, t)).toBe(`t=${t},v1=${expected}`);
    expect(signWebhookPayload(secret, Buffer.from(body), t)).toBe(`t=${t},v1=${expected}`);
  });

  it("verifies within tolerance and rejects outside it, on either side", () => {
    const header = signWebhookPayload(secret, body, t);
    expect(verifyWebhookSignature(secret, header, body, 300, t + 300)).toBe(true);
    expect(verifyWebhookSignature(secret, header, body, 300, t - 300)).toBe(true);
    expect(verifyWebhookSignature(secret, header, body, 300, t + 301)).toBe(false);
    expect(verifyWebhookSignature(secret, header, body, 300, t - 301)).toBe(false);
  });

  it("rejects a tampered body, a wrong secret and a moved timestamp", () => {
    const header = signWebhookPayload(secret, body, t);
    expect(verifyWebhookSignature(secret, header, body.replace("m1", "m2"), 300, t)).toBe(false);
    expect(verifyWebhookSignature(`${secret}x`, header, body, 300, t)).toBe(false);
    expect(verifyWebhookSignature(secret, header.replace(`t=${t}`, `t=${t + 1}`), body, 300, t)).toBe(false);
  });

  it("accepts any matching v1 entry (secret rotation)", () => {
    const old = signWebhookPayload("old-secret-0123456789", body, t).split(",")[1]!;
    const current = signWebhookPayload(secret, body, t);
    expect(verifyWebhookSignature(secret, `${current},${old}`, body, 300, t)).toBe(true);
    expect(verifyWebhookSignature(secret, `t=${t},${old}`, body, 300, t)).toBe(false);
  });

  it("returns false for malformed headers instead of throwing", () => {
    for (const header of [
      undefined,
      null,
      "",
      "garbage",
      `t=${t}`,
      "v1=abc",
      `t=abc,v1=${"0".repeat(64)}`,
      `t=${t},v1=zz`,
      "x".repeat(5000),
    ]) {
      expect(verifyWebhookSignature(secret, header, body, 300, t)).toBe(false);
    }
  });
});
