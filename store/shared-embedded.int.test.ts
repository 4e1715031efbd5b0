import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { ingestFile } from "../ingest/ingest-file.js";
import { openDb } from "./db.js";

const fixture = fileURLToPath(new URL("./fixtures/hold-embedded.ts", import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), "pulse-shared-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("an embedded database owned by another process", () => {
  it("takes loads through the owner's socket, values with tabs, backslashes and line breaks intact", async () => {
    const owner = spawn(process.execPath, ["--import", "tsx", fixture, path.join(dir, "db")], { stdio: ["pipe", "pipe", "inherit"] });
    const exited = new Promise((resolve) => owner.once("exit", resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        owner.stdout!.on("data", (d: Buffer) => d.toString().includes("ready") && resolve());
        owner.once("exit", (code) => reject(new Error(`owner exited with ${code}`)));
      });
      const db = await openDb({ dataDir: path.join(dir, "db") });
      try {
        const file = path.join(dir, "events.jsonl");
        const rows = [
          {
            event_id: "e1",
            customer_id: "c1",
            occurred_at: "2024-01-01T00:00:00Z",
            type: "search",
            category: "tab\there",
            sku: "back\\slash",
          },
          { event_id: "e2", customer_id: "c1", occurred_at: "2024-01-02T00:00:00Z", type: "search", category: "line\nbreak" },
          { event_id: "e1", customer_id: "c1", occurred_at: "2024-01-03T00:00:00Z", type: "cart_add" },
        ];
        writeFileSync(file, rows.map((r) => JSON.stringify(r)).join("\n"));
        expect(await ingestFile(db, "events", file)).toMatchObject({ rowsRead: 3, inserted: 2, quarantined: 1 });
        expect(await ingestFile(db, "events", file)).toMatchObject({ inserted: 0, unchanged: 2, quarantined: 1 });
        const { rows: stored } = await db.pool.query("SELECT event_id, type, category, sku FROM events ORDER BY event_id");
        expect(stored).toEqual([
          { event_id: "e1", type: "search", category: "tab\there", sku: "back\\slash" },
          { event_id: "e2", type: "search", category: "line\nbreak", sku: null },
        ]);
      } finally {
        await db.close();
      }
    } finally {
      owner.stdin!.end();
      await exited;
    }
  }, 60_000);
});
