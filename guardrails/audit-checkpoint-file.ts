import { appendFile, mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import type { Config } from "../core/config.js";
import { ConfigError, InputError } from "../core/errors.js";
import { readAuditHashes, readAuditHeadEntry } from "../store/audit-repo.js";
import type { Db } from "../store/db.js";
import {
  checkCheckpoints,
  checkpointKeyFromSecret,
  checkpointKeyFromText,
  parseCheckpointLines,
  signCheckpoint,
  type AuditCheckpoint,
  type CheckpointKey,
  type CheckpointProblem,
} from "./audit-checkpoint.js";
import { verifyAuditLog, type AuditVerifyResult } from "./audit-verify.js";

/** Where checkpoints go by default: a JSONL file beside the data (point it at another disk or host in production). */
export function checkpointFileFor(config: Pick<Config, "PULSE_AUDIT_CHECKPOINT_FILE" | "PULSE_DATA_DIR">, out?: string): string {
  return out ?? config.PULSE_AUDIT_CHECKPOINT_FILE ?? path.join(config.PULSE_DATA_DIR, "audit-checkpoints.jsonl");
}

/** The key: --key-file, else PULSE_AUDIT_KEY_FILE, else PULSE_AUDIT_KEY. */
export async function checkpointKeyFor(
  config: Pick<Config, "PULSE_AUDIT_KEY" | "PULSE_AUDIT_KEY_FILE">,
  keyFile?: string,
): Promise<CheckpointKey> {
  const file = keyFile ?? config.PULSE_AUDIT_KEY_FILE;
  if (file) {
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (err) {
      throw new InputError(`key file ${file}: ${(err as Error).message}`, { cause: err });
    }
    return checkpointKeyFromText(text, `key file ${file}`);
  }
  if (config.PULSE_AUDIT_KEY) return checkpointKeyFromSecret(config.PULSE_AUDIT_KEY);
  throw new ConfigError("PULSE_AUDIT_KEY", "audit checkpoints need a key: set PULSE_AUDIT_KEY or PULSE_AUDIT_KEY_FILE, or pass --key-file");
}

/** Signs the log's current head and appends it to the file (one JSON line). */
export async function writeAuditCheckpoint(db: Db, key: CheckpointKey, file: string, now: Date): Promise<AuditCheckpoint> {
  const checkpoint = signCheckpoint(await readAuditHeadEntry(db), now, key);
  await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  await appendFile(file, `${JSON.stringify(checkpoint)}\n`);
  return checkpoint;
}

export interface CheckpointVerifyResult {
  ok: boolean;
  chain: AuditVerifyResult;
  /** Checkpoints whose signature verified. */
  checkpoints: number;
  latest: { seq: number; at: string } | null;
  problems: CheckpointProblem[];
}

/** The chain walk, then every checkpoint in the file against it: a removed tail or a rewritten chain fails. */
export async function verifyAuditWithCheckpoints(db: Db, file: string, key: CheckpointKey): Promise<CheckpointVerifyResult> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new InputError(`--checkpoint ${file}: ${(err as Error).message}`, { cause: err });
  }
  const lines = parseCheckpointLines(text);
  const chain = await verifyAuditLog(db);
  const head = await readAuditHeadEntry(db);
  const seqs = lines.flatMap((l) => (l.checkpoint ? [l.checkpoint.seq] : []));
  const { problems, verified } = checkCheckpoints(lines, key, head?.seq ?? 0, await readAuditHashes(db, seqs));
  const latest = verified.reduce<AuditCheckpoint | null>((best, c) => (best === null || c.seq >= best.seq ? c : best), null);
  if (lines.length === 0) problems.push({ kind: "unreadable", line: 0, message: `${file} holds no checkpoint` });
  return {
    ok: chain.ok && problems.length === 0,
    chain,
    checkpoints: verified.length,
    latest: latest ? { seq: latest.seq, at: latest.at } : null,
    problems,
  };
}
