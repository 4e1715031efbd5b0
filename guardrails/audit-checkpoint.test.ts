import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { InputError } from "../core/errors.js";
import {
  checkCheckpoints,
  checkpointKeyFromSecret,
  checkpointKeyFromText,
  parseCheckpointLines,
  signCheckpoint,
} from "./audit-checkpoint.js";

const h = (c: string) => c.repeat(64);
const at = new Date("2024-05-01T10:00:00.000Z");
const now = new Date("2024-05-01T11:00:00.000Z");

describe("audit checkpoints (pure)", () => {
  const key = checkpointKeyFromSecret("sixteen-chars-at-least");

  it("a checkpoint of the head verifies while the log still holds that seq with that hash", () => {
    const c = signCheckpoint({ seq: 5, hash: h("a"), at }, now, key);
    const lines = parseCheckpointLines(`${JSON.stringify(c)}\n\n`);
    expect(checkCheckpoints(lines, key, 9, new Map([[5, h("a")]]))).toMatchObject({ problems: [], verified: [c] });
    expect(checkCheckpoints(lines, key, 4, new Map()).problems.map((p) => p.kind)).toEqual(["truncated"]);
    expect(checkCheckpoints(lines, key, 9, new Map([[5, h("b")]])).problems.map((p) => p.kind)).toEqual(["rewritten"]);
  });

  it("any edited field, or another key, breaks the signature; a broken line is reported, not skipped", () => {
    const c = signCheckpoint({ seq: 5, hash: h("a"), at }, now, key);
    for (const edit of [{ seq: 4 }, { hash: h("c") }, { at: "2024-05-02T00:00:00.000Z" }, { entryAt: null }]) {
      const lines = parseCheckpointLines(JSON.stringify({ ...c, ...edit }));
      expect(checkCheckpoints(lines, key, 9, new Map([[5, h("a")]])).problems.map((p) => p.kind)).toEqual(["bad_signature"]);
    }
    const other = checkpointKeyFromSecret("another-secret-of-16+");
    expect(checkCheckpoints(parseCheckpointLines(JSON.stringify(c)), other, 9, new Map([[5, h("a")]])).problems[0]!.kind).toBe(
      "bad_signature",
    );
    expect(checkCheckpoints(parseCheckpointLines("{not json\n"), key, 9, new Map()).problems[0]).toMatchObject({
      kind: "unreadable",
      line: 1,
    });
  });

  it("key files: Ed25519 private (signs) and public (verifies only) PEM, or an HMAC secret; short secrets refused", () => {
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const priv = checkpointKeyFromText(privateKey.export({ type: "pkcs8", format: "pem" }).toString());
    const pub = checkpointKeyFromText(publicKey.export({ type: "spki", format: "pem" }).toString());
    expect(priv.keyId).toBe(pub.keyId);
    expect(pub.sign).toBeUndefined();
    const c = signCheckpoint(undefined, now, priv);
    expect(c).toMatchObject({ seq: 0, entryAt: null, alg: "ed25519" });
    expect(checkCheckpoints(parseCheckpointLines(JSON.stringify(c)), pub, 0, new Map()).problems).toEqual([]);
    expect(() => signCheckpoint(undefined, now, pub)).toThrow(InputError);
    expect(checkpointKeyFromText("  a-secret-from-a-file-123 \n").alg).toBe("hmac-sha256");
    expect(() => checkpointKeyFromText("short")).toThrow(InputError);
    const { publicKey: rsa } = generateKeyPairSync("rsa", { modulusLength: 1024 });
    expect(() => checkpointKeyFromText(rsa.export({ type: "spki", format: "pem" }).toString())).toThrow(/Ed25519/);
  });
});
