import { createHash } from "node:crypto";
import { CHANNELS, type ConsentRow, type EventRow, type OrderLineRow, type ResponseRow } from "../ingest/formats.js";
import type { CsvFileWriter } from "./csv.js";
import type { CustomerProfile } from "./customer-profile.js";
import type { CustomerState } from "./customer-engine.js";
import { hash32 } from "./rng.js";
import type { SimSink } from "./sink.js";

export interface CsvWriters {
  orders: CsvFileWriter;
  events: CsvFileWriter;
  responses: CsvFileWriter;
  consents: CsvFileWriter;
}

/** Writes engine output as CSV rows in the exact column order of FORMATS[kind].columns. */
export class CsvSink implements SimSink {
  constructor(private readonly w: CsvWriters) {}

  order(
    orderSeq: number,
    lineNo: number,
    customerId: string,
    at: number,
    channel: OrderLineRow["channel"],
    sku: string,
    category: string,
    quantity: number,
    unitPrice: number,
    discount: number,
    margin: number,
    status: OrderLineRow["status"],
  ): void {
    // order_id,line_no,customer_id,ordered_at,channel,sku,category,quantity,unit_price,discount,margin,status
    const w = this.w.orders;
    w.ascii(customerId).ascii("-O").int(orderSeq).sep().int(lineNo).sep().ascii(customerId).sep().iso(at).sep().ascii(channel).sep();
    w.ascii(sku).sep().ascii(category).sep(); // catalog values: plain ASCII
    w.int(quantity).sep().money(unitPrice).sep().money(discount).sep();
    if (!Number.isNaN(margin)) w.money(margin);
    w.sep().ascii(status).end();
  }

  event(eventSeq: number, customerId: string, at: number, type: EventRow["type"], category: string, sku: string): void {
    // event_id,customer_id,occurred_at,type,category,sku (category and sku come from the catalog: plain ASCII)
    this.w.events
      .ascii(customerId)
      .ascii("-E")
      .int(eventSeq)
      .sep()
      .ascii(customerId)
      .sep()
      .iso(at)
      .sep()
      .ascii(type)
      .sep()
      .ascii(category)
      .sep()
      .ascii(sku)
      .end();
  }

  response(
    messageId: string,
    customerId: string,
    channel: ResponseRow["channel"],
    type: ResponseRow["type"],
    at: number,
    campaignId: string,
    revenue: number,
  ): void {
    // message_id,customer_id,channel,type,occurred_at,campaign_id,revenue
    const w = this.w.responses;
    w.text(messageId).sep().text(customerId).sep().ascii(channel).sep().ascii(type).sep().iso(at).sep().text(campaignId).sep();
    if (!Number.isNaN(revenue)) w.money(revenue);
    w.end();
  }

  consent(
    customerId: string,
    channel: ConsentRow["channel"],
    purpose: ConsentRow["purpose"],
    status: ConsentRow["status"],
    source: string,
    at: number,
  ): void {
    // customer_id,channel,purpose,status,source,recorded_at
    this.w.consents.text(customerId).sep().ascii(channel).sep().ascii(purpose).sep().ascii(status).sep().text(source).sep().iso(at).end();
  }
}

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

/** A customers.csv row: contact details are fake addresses, written only as SHA-256 hashes. */
export function writeCustomerRow(w: CsvFileWriter, p: CustomerProfile, seed: number): void {
  const emailHash = p.hasEmail ? sha256(`${p.firstName.toLowerCase()}.${p.customerId.toLowerCase()}.${seed}@example.com`) : "";
  const phoneHash = p.hasPhone ? sha256(`+1555${String(hash32(seed, p.index, 0x9407) % 10_000_000).padStart(7, "0")}`) : "";
  // customer_id,email_hash,phone_hash,first_name,region,timezone,signup_at,loyalty_tier,age_band
  w.ascii(p.customerId).sep().ascii(emailHash).sep().ascii(phoneHash).sep().text(p.firstName).sep().text(p.region).sep();
  w.text(p.timezone).sep().iso(p.signupAt).sep().ascii(p.loyaltyTier).sep().text(p.ageBand).end();
}

/**
 * Consent history known at the end of history: marketing grants, preference-centre revocations
 * (unsubscribes are written by the engine when they happen), and transactional e-mail consent.
 */
export function writeConsentHistory(sink: SimSink, p: CustomerProfile, s: CustomerState, historyEnd: number): void {
  if (p.hasEmail) sink.consent(p.customerId, "email", "transactional", "granted", "terms", p.signupAt);
  for (let c = 0; c < CHANNELS.length; c++) {
    const granted = p.consentGrantedAt[c];
    if (!(granted < historyEnd)) continue;
    sink.consent(p.customerId, CHANNELS[c], "marketing", "granted", p.consentSource[c], granted);
    const revoke = p.preferenceRevokeAt[c];
    if (revoke < historyEnd && revoke <= s.unsubscribedAt[c]) {
      sink.consent(p.customerId, CHANNELS[c], "marketing", "revoked", "preference_center", revoke);
    }
  }
}

export type HistoryFileKind = "customers" | "consents" | "orders" | "events" | "responses";
export const HISTORY_FILE_KINDS: readonly HistoryFileKind[] = ["customers", "consents", "orders", "events", "responses"];
