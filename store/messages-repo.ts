import type pg from "pg";
import type { Channel } from "../core/domain.js";
import { queryable, type Db, type Queryable } from "./db.js";
import { jsonFloat } from "./sql-values.js";

/** The per-customer messages of each cycle (table messages): one per cycle, campaign, customer and channel. */

export interface NewMessage {
  messageId: string;
  dedupeKey: string;
  cycleId: string;
  campaignId: string;
  customerId: string;
  channel: Channel;
  strategy: string;
  offerDepth: number;
  templateId: string | null;
  variantId: string;
  content: unknown;
  /** The probability the plan's bandit had of choosing this message's arm (offer depth), for off-policy evaluation. */
  propensity?: number | null;
}

/**
 * Inserts messages; the unique dedupe key makes a second row for the same (cycle, campaign,
 * customer, channel) impossible. Returns the dedupe keys this call created (a re-run creates none).
 */
export async function insertMessages(db: Db | Queryable, messages: readonly NewMessage[]): Promise<Set<string>> {
  if (messages.length === 0) return new Set();
  const runner = queryable(db);
  const { rows } = await runner.query<{ dedupe_key: string }>(
    `INSERT INTO messages (message_id, dedupe_key, cycle_id, campaign_id, customer_id, channel, strategy, offer_depth, template_id, variant_id, content, propensity)
     SELECT m.message_id, m.dedupe_key, m.cycle_id, m.campaign_id, m.customer_id, m.channel, m.strategy, m.offer_depth, m.template_id, m.variant_id, m.content, m.propensity
     FROM jsonb_to_recordset($1::jsonb) AS m(message_id text, dedupe_key text, cycle_id text, campaign_id text, customer_id text, channel text, strategy text, offer_depth numeric, template_id text, variant_id text, content jsonb, propensity float8)
     ON CONFLICT (dedupe_key) DO NOTHING RETURNING dedupe_key`,
    [
      JSON.stringify(
        messages.map((m) => ({
          message_id: m.messageId,
          dedupe_key: m.dedupeKey,
          cycle_id: m.cycleId,
          campaign_id: m.campaignId,
          customer_id: m.customerId,
          channel: m.channel,
          strategy: m.strategy,
          offer_depth: jsonFloat(m.offerDepth),
          template_id: m.templateId,
          variant_id: m.variantId,
          content: m.content ?? null,
          propensity: m.propensity === undefined || m.propensity === null ? null : jsonFloat(m.propensity),
        })),
      ),
    ],
  );
  return new Set(rows.map((r) => r.dedupe_key));
}

export interface MessageRow {
  message_id: string;
  dedupe_key: string;
  cycle_id: string;
  campaign_id: string;
  customer_id: string;
  channel: Channel;
  strategy: string;
  offer_depth: number;
  template_id: string | null;
  variant_id: string;
  content: Record<string, unknown>;
  status: string;
  sent_at: Date | null;
}

/** Many messages by id in one query (ids not found are simply absent from the map). */
export async function getMessages(db: Db, messageIds: readonly string[]): Promise<Map<string, MessageRow>> {
  if (messageIds.length === 0) return new Map();
  const { rows } = await db.pool.query<MessageRow>("SELECT * FROM messages WHERE message_id = ANY($1::text[])", [messageIds]);
  return new Map(rows.map((r) => [r.message_id, r]));
}

/**
 * Locks these messages' rows until the caller's transaction ends, in id order (two callers locking
 * overlapping sets never deadlock), and returns each one's status once locked: a caller that waited
 * for another's transaction sees what that one committed.
 */
export async function lockMessages(client: pg.PoolClient, messageIds: readonly string[]): Promise<Map<string, string>> {
  if (messageIds.length === 0) return new Map();
  const { rows } = await client.query<{ message_id: string; status: string }>(
    "SELECT message_id, status FROM messages WHERE message_id = ANY($1::text[]) ORDER BY message_id FOR UPDATE",
    [messageIds],
  );
  return new Map(rows.map((r) => [r.message_id, r.status]));
}

/**
 * Marks many messages at once, each with its own status (sent, dead_lettered, suppressed), where
 * they are still queued; returns the ids this call changed (a redelivered job's message is not among
 * them). Meant for the caller's transaction, next to the audit entries of the same messages.
 */
export async function markMessages(
  client: pg.PoolClient,
  updates: readonly { messageId: string; status: string }[],
  at: Date | null,
): Promise<Set<string>> {
  if (updates.length === 0) return new Set();
  const { rows } = await client.query<{ message_id: string }>(
    `UPDATE messages m SET status = u.status, sent_at = coalesce($3::timestamptz, m.sent_at)
     FROM unnest($1::text[], $2::text[]) AS u(message_id, status)
     WHERE m.message_id = u.message_id AND m.status = 'queued'
     RETURNING m.message_id`,
    [updates.map((u) => u.messageId), updates.map((u) => u.status), at],
  );
  return new Set(rows.map((r) => r.message_id));
}

/** The status of each of these messages (those that exist). */
export async function messageStatusesOf(db: Db, messageIds: readonly string[]): Promise<Map<string, string>> {
  if (messageIds.length === 0) return new Map();
  const { rows } = await db.pool.query<{ message_id: string; status: string }>(
    "SELECT message_id, status FROM messages WHERE message_id = ANY($1::text[])",
    [messageIds],
  );
  return new Map(rows.map((r) => [r.message_id, r.status]));
}

export async function messageCounts(db: Db, cycleId: string): Promise<{ channel: string; status: string; n: number }[]> {
  const { rows } = await db.pool.query(
    "SELECT channel, status, count(*)::int AS n FROM messages WHERE cycle_id = $1 GROUP BY 1, 2 ORDER BY 1, 2",
    [cycleId],
  );
  return rows;
}

/** Every message of a cycle, by message id. */
export async function cycleMessages(db: Db, cycleId: string): Promise<MessageRow[]> {
  const { rows } = await db.pool.query<MessageRow>("SELECT * FROM messages WHERE cycle_id = $1 ORDER BY message_id", [cycleId]);
  return rows;
}

/** Messages of a cycle sent so far. */
export async function sentCount(db: Db, cycleId: string): Promise<number> {
  const { rows } = await db.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM messages WHERE cycle_id = $1 AND status = 'sent'", [
    cycleId,
  ]);
  return rows[0]!.n;
}

/** One message per channel (the first by id), to show what the copy looks like. */
export async function sampleMessagePerChannel(db: Db, cycleId: string): Promise<MessageRow[]> {
  const { rows } = await db.pool.query<MessageRow>(
    "SELECT DISTINCT ON (channel) * FROM messages WHERE cycle_id = $1 ORDER BY channel, message_id",
    [cycleId],
  );
  return rows;
}

/** The first customer (by id) a cycle sent a message to; null if none. */
export async function firstSentCustomer(db: Db, cycleId: string): Promise<string | null> {
  const { rows } = await db.pool.query<{ customer_id: string }>(
    "SELECT customer_id FROM messages WHERE cycle_id = $1 AND status = 'sent' ORDER BY customer_id LIMIT 1",
    [cycleId],
  );
  return rows[0]?.customer_id ?? null;
}
