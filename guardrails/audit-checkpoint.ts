import { createHash, createHmac, createPrivateKey, createPublicKey, sign, timingSafeEqual, verify, type KeyObject } from "node:crypto";
import { z } from "zod";
import { ConfigError, InputError } from "../core/errors.js";
import { canonicalJson, GENESIS_HASH } from "./audit-hash.js";

/**
 * Signed checkpoints of the audit chain's head, kept outside the database. The chain alone proves no
 * entry was edited; it cannot tell a log whose newest entries were deleted, or one rewritten and
 * re-hashed from some entry on, from an honest one. A checkpoint signed earlier (entry seq, its hash,
 * when) can: the log must still hold that seq with that hash. Pure, apart from reading a key file.
 *
 * Keys: HMAC-SHA256 with a shared secret (PULSE_AUDIT_KEY, or a key file holding it), or Ed25519 (a
 * PEM key file from `openssl genpkey -algorithm ed25519`); a public-key PEM verifies without being
 * able to sign, so a reviewer can check checkpoints without the power to forge them.
 */

export const CHECKPOINT_ALGS = ["hmac-sha256", "ed25519"] as const;

export const auditCheckpointSchema = z.strictObject({
  v: z.literal(1),
  /** The newest entry when the checkpoint was taken (0 and the genesis hash for an empty log). */
  seq: z.number().int().min(0),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  /** That entry's time, null for an empty log. */
  entryAt: z.iso.datetime({ offset: true }).nullable(),
  /** When the checkpoint was written. */
  at: z.iso.datetime({ offset: true }),
  alg: z.enum(CHECKPOINT_ALGS),
  /** Names the key without revealing it (a digest of the secret or the public key). */
  keyId: z.string().min(1),
  sig: z.string().min(1),
});
export type AuditCheckpoint = z.infer<typeof auditCheckpointSchema>;

export interface CheckpointKey {
  alg: (typeof CHECKPOINT_ALGS)[number];
  keyId: string;
  /** Undefined for a public key: it verifies only. */
  sign?: (data: string) => string;
  verify(data: string, sig: string): boolean;
}

function hmacKey(secret: string): CheckpointKey {
  if (secret.length < 16) throw new ConfigError("PULSE_AUDIT_KEY", "an HMAC checkpoint key must be at least 16 characters");
  const mac = (data: string) => createHmac("sha256", secret).update(data).digest("base64");
  return {
    alg: "hmac-sha256",
    keyId: `hmac:${createHash("sha256").update(`pulse-audit-checkpoint:${secret}`).digest("hex").slice(0, 16)}`,
    sign: mac,
    verify(data, sig) {
      const want = Buffer.from(mac(data));
      const got = Buffer.from(sig);
      return want.length === got.length && timingSafeEqual(want, got);
    },
  };
}

function ed25519Key(publicKey: KeyObject, privateKey?: KeyObject): CheckpointKey {
  if (publicKey.asymmetricKeyType !== "ed25519")
    throw new InputError(`checkpoint key: expected an Ed25519 key, got ${publicKey.asymmetricKeyType}`);
  const der = publicKey.export({ type: "spki", format: "der" });
  return {
    alg: "ed25519",
    keyId: `ed25519:${createHash("sha256").update(der).digest("hex").slice(0, 16)}`,
    ...(privateKey ? { sign: (data: string) => sign(null, Buffer.from(data), privateKey).toString("base64") } : {}),
    verify: (data, sig) => verify(null, Buffer.from(data), publicKey, Buffer.from(sig, "base64")),
  };
}

/** A key from the contents of a key file: an Ed25519 private or public PEM, or else an HMAC secret. */
export function checkpointKeyFromText(text: string, source = "key file"): CheckpointKey {
  try {
    if (text.includes("-----BEGIN PRIVATE KEY-----")) {
      const priv = createPrivateKey(text);
      return ed25519Key(createPublicKey(priv), priv);
    }
    if (text.includes("-----BEGIN PUBLIC KEY-----")) return ed25519Key(createPublicKey(text));
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`${source}: not a readable PEM key (${(err as Error).message})`, { cause: err });
  }
  const secret = text.trim();
  if (secret.length < 16) throw new InputError(`${source}: an HMAC secret must be at least 16 characters`);
  return hmacKey(secret);
}

export function checkpointKeyFromSecret(secret: string): CheckpointKey {
  return hmacKey(secret);
}

const payload = (c: Omit<AuditCheckpoint, "sig">) => canonicalJson(c);

/** A signed checkpoint of `head` (undefined: the empty log). */
export function signCheckpoint(head: { seq: number; hash: string; at: Date } | undefined, now: Date, key: CheckpointKey): AuditCheckpoint {
  if (!key.sign) throw new InputError("this checkpoint key is a public key: it verifies checkpoints but cannot sign them");
  const body = {
    v: 1 as const,
    seq: head?.seq ?? 0,
    hash: head?.hash ?? GENESIS_HASH,
    entryAt: head ? head.at.toISOString() : null,
    at: now.toISOString(),
    alg: key.alg,
    keyId: key.keyId,
  };
  return { ...body, sig: key.sign(payload(body)) };
}

export function checkpointSignatureValid(c: AuditCheckpoint, key: CheckpointKey): boolean {
  const { sig, ...body } = c;
  try {
    return c.alg === key.alg && c.keyId === key.keyId && key.verify(payload(body), sig);
  } catch {
    return false;
  }
}

export type CheckpointProblemKind = "unreadable" | "bad_signature" | "truncated" | "rewritten";
export interface CheckpointProblem {
  kind: CheckpointProblemKind;
  /** 1-based line of the checkpoint file. */
  line: number;
  message: string;
}

/**
 * Checks parsed checkpoint lines against the log: `headSeq` is the newest sound entry (0 for none),
 * `hashAt` the stored hash of each checkpointed seq that exists. Pure.
 */
export function checkCheckpoints(
  lines: readonly { line: number; checkpoint?: AuditCheckpoint; error?: string }[],
  key: CheckpointKey,
  headSeq: number,
  hashAt: ReadonlyMap<number, string>,
): { problems: CheckpointProblem[]; verified: AuditCheckpoint[] } {
  const problems: CheckpointProblem[] = [];
  const verified: AuditCheckpoint[] = [];
  for (const { line, checkpoint: c, error } of lines) {
    if (!c) {
      problems.push({ kind: "unreadable", line, message: `line ${line}: not a checkpoint (${error})` });
      continue;
    }
    if (!checkpointSignatureValid(c, key)) {
      problems.push({
        kind: "bad_signature",
        line,
        message: `line ${line}: the signature does not verify with key ${key.keyId} (signed by ${c.keyId}); the checkpoint was edited or forged`,
      });
      continue;
    }
    verified.push(c);
    if (c.seq === 0) continue;
    if (c.seq > headSeq) {
      problems.push({
        kind: "truncated",
        line,
        message: `line ${line}: the checkpoint written at ${c.at} saw the log up to seq ${c.seq}, but it now ends at seq ${headSeq}: ${c.seq - headSeq} newest entr${c.seq - headSeq === 1 ? "y was" : "ies were"} removed`,
      });
      continue;
    }
    const stored = hashAt.get(c.seq);
    if (stored !== c.hash) {
      problems.push({
        kind: "rewritten",
        line,
        message: `line ${line}: entry seq ${c.seq} hashes to ${stored?.slice(0, 12) ?? "(missing)"}… but the checkpoint written at ${c.at} signed ${c.hash.slice(0, 12)}…: the chain was rewritten up to there`,
      });
    }
  }
  return { problems, verified };
}

/** Parses a checkpoint file's text (JSON lines; blank lines skipped). Pure. */
export function parseCheckpointLines(text: string): { line: number; checkpoint?: AuditCheckpoint; error?: string }[] {
  const out: { line: number; checkpoint?: AuditCheckpoint; error?: string }[] = [];
  text.split("\n").forEach((raw, i) => {
    if (!raw.trim()) return;
    try {
      const parsed = auditCheckpointSchema.safeParse(JSON.parse(raw));
      out.push(parsed.success ? { line: i + 1, checkpoint: parsed.data } : { line: i + 1, error: parsed.error.issues[0]!.message });
    } catch (err) {
      out.push({ line: i + 1, error: (err as Error).message });
    }
  });
  return out;
}
