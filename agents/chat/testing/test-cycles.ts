import path from "node:path";
import { FileOutboxConnector } from "../../../connectors/file-outbox.js";
import type { Clock } from "../../../core/clock.js";
import type { Db } from "../../../store/db.js";
import { testConfig } from "../../../workflows/cycle/testing/cycle-test-kit.js";
import { createCycleRuntime } from "../../../workflows/runtime.js";
import type { ChatCycles } from "../configuration.js";

/**
 * Test support: the cycle runtime with jobs run in this process on a manual clock (so a test can let
 * sends and the attribution window come due), sending to a JSONL outbox.
 */
export async function openTestCycles(db: Db, clock: Clock, outDir: string): Promise<ChatCycles & { outbox: string }> {
  const outbox = path.join(outDir, "outbox.jsonl");
  const runtime = await createCycleRuntime(testConfig(), {
    db,
    runner: "in-process",
    clock,
    connector: new FileOutboxConnector({ path: outbox }),
  });
  return { service: runtime.service, drain: () => runtime.drain(), close: () => runtime.close(), outbox };
}
