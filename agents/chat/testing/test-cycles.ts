import path from "node:path";
import { FileOutboxConnector } from "../../../connectors/file-outbox.js";
import type { Clock } from "../../../core/clock.js";
import type { Db } from "../../../store/db.js";
import { InProcessRunner } from "../../../workflows/jobs/in-process-runner.js";
import type { JobRunner } from "../../../workflows/jobs/types.js";
import { cycleProcessors, IN_PROCESS_RUNNER_OPTIONS } from "../../../workflows/cycle/processors.js";
import { createCycleService } from "../../../workflows/cycle/service.js";
import { testConfig } from "../../../workflows/cycle/testing/cycle-test-kit.js";
import { createCycleDeps } from "../../../workflows/cycle/wiring.js";
import type { ChatCycles } from "../configuration.js";

/**
 * Test support: the cycle machinery as `openCycleContext` wires it without Redis (jobs run in this
 * process), but on a manual clock, so a test can let sends and the attribution window come due.
 */
export async function openTestCycles(db: Db, clock: Clock, outDir: string): Promise<ChatCycles & { outbox: string }> {
  let inner: InProcessRunner | undefined;
  const runner: JobRunner = { kind: "in-process", enqueue: (q, d, o) => inner!.enqueue(q, d, o), close: async () => inner?.close() };
  const outbox = path.join(outDir, "outbox.jsonl");
  const deps = createCycleDeps({ db, config: testConfig(), runner, clock, connector: new FileOutboxConnector({ path: outbox }) });
  const service = await createCycleService(deps);
  inner = new InProcessRunner({ processors: cycleProcessors(deps, service), clock, ...IN_PROCESS_RUNNER_OPTIONS });
  return {
    service,
    outbox,
    drain: () => inner!.drain(),
    async close() {
      await runner.close();
      await deps.connector.close?.();
    },
  };
}
