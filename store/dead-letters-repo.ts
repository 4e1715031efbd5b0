import type { Queryable } from "./db.js";

/**
 * A dead-lettered message delivered by a replay (`pulse deliveries retry`): dead_lettered → sent.
 * Returns whether this call changed it (false if it was not dead-lettered, or not in this database).
 */
export async function markReplayedSent(runner: Queryable, messageId: string, at: Date): Promise<boolean> {
  const { rows } = await runner.query<{ message_id: string }>(
    "UPDATE messages SET status = 'sent', sent_at = $2 WHERE message_id = $1 AND status = 'dead_lettered' RETURNING message_id",
    [messageId, at],
  );
  return rows.length > 0;
}

/** A message's current status, or null when there is no such message. */
export async function messageStatus(runner: Queryable, messageId: string): Promise<string | null> {
  const { rows } = await runner.query<{ status: string }>("SELECT status FROM messages WHERE message_id = $1", [messageId]);
  return rows[0]?.status ?? null;
}
