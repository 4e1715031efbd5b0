import { readFile } from "node:fs/promises";
import { z } from "zod";
import { outboundMessageSchema } from "./connector.js";
import type { DeadLetterRecord } from "./dead-letter-file.js";
import { JsonlAppendFile } from "./jsonl-append-file.js";

/**
 * Reading a dead-letter file (dead-letter-file.ts) back, and the replays that resolved its lines.
 * The dead-letter file stays append-only; a successful replay appends a `DeadLetterResolution` to a
 * sibling file (`<path>.replayed.jsonl`). A dead letter is open while no resolution of its message
 * id is at least as recent as it.
 */

const deadLetterRecordSchema = z.object({
  deadLetteredAt: z.iso.datetime({ offset: true }),
  attempts: z.number().int().min(0),
  reason: z.object({ code: z.string(), message: z.string(), httpStatus: z.number().int().optional() }),
  message: outboundMessageSchema,
});

const resolutionSchema = z.object({
  messageId: z.string().min(1),
  dedupeKey: z.string().min(1),
  replayedAt: z.iso.datetime({ offset: true }),
  by: z.string().min(1),
  attempts: z.number().int().min(0),
});
export type DeadLetterResolution = z.infer<typeof resolutionSchema>;

/** One message's open dead letters: the latest record, and how many times it was dead-lettered unresolved. */
export interface OpenDeadLetter extends DeadLetterRecord {
  incidents: number;
}

export const resolutionPathOf = (deadLetterPath: string) => `${deadLetterPath}.replayed.jsonl`;

/** Valid JSON lines of a JSONL file that pass `schema`; a missing file is empty; `skipped` counts the rest. */
async function readJsonl<T>(path: string, schema: z.ZodType<T>): Promise<{ rows: T[]; skipped: number }> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as { code?: string }).code === "ENOENT") return { rows: [], skipped: 0 };
    throw err;
  }
  const rows: T[] = [];
  let skipped = 0;
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      skipped += 1;
      continue;
    }
    const parsed = schema.safeParse(json);
    if (parsed.success) rows.push(parsed.data);
    else skipped += 1;
  }
  return { rows, skipped };
}

/** Pure: the open dead letters, one per message id (latest record), oldest first. */
export function openDeadLetters(records: readonly DeadLetterRecord[], resolutions: readonly DeadLetterResolution[]): OpenDeadLetter[] {
  const resolvedAt = new Map<string, number>();
  for (const r of resolutions) resolvedAt.set(r.messageId, Math.max(resolvedAt.get(r.messageId) ?? -Infinity, Date.parse(r.replayedAt)));
  const open = new Map<string, OpenDeadLetter>();
  for (const rec of records) {
    const id = rec.message.messageId;
    if (Date.parse(rec.deadLetteredAt) <= (resolvedAt.get(id) ?? -Infinity)) continue;
    const prev = open.get(id);
    open.set(id, { ...rec, incidents: (prev?.incidents ?? 0) + 1 });
  }
  return [...open.values()].sort((a, b) => a.deadLetteredAt.localeCompare(b.deadLetteredAt));
}

/** The open dead letters of a file, with the count of unreadable lines in either file. */
export async function readOpenDeadLetters(path: string): Promise<{ open: OpenDeadLetter[]; skipped: number }> {
  const records = await readJsonl(path, deadLetterRecordSchema);
  const resolutions = await readJsonl(resolutionPathOf(path), resolutionSchema);
  return { open: openDeadLetters(records.rows, resolutions.rows), skipped: records.skipped + resolutions.skipped };
}

/** Appends one resolution (a successful replay) and closes the file. */
export async function appendResolution(path: string, resolution: DeadLetterResolution, options: { fsync?: boolean } = {}): Promise<void> {
  const file = new JsonlAppendFile(resolutionPathOf(path), { fsync: options.fsync ?? true });
  try {
    await file.append(resolutionSchema.parse(resolution));
  } finally {
    await file.close();
  }
}
