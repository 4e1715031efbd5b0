import path from "node:path";
import { createLlmClientFromConfig } from "../agents/llm/openai-client.js";
import type { Connector } from "../connectors/connector.js";
import { createConnector } from "../connectors/create-connector.js";
import { systemClock, type Clock } from "../core/clock.js";
import type { Config } from "../core/config.js";
import { LruCache } from "../core/lru-cache.js";
import { createApprovals } from "../guardrails/approval-decisions.js";
import { createAuditLog } from "../guardrails/audit.js";
import { openDb, type Db } from "../store/db.js";
import { CycleMemo } from "./cycle/cycle-memo.js";
import { COPY_CACHE_ENTRIES, type CycleDeps } from "./cycle/deps.js";
import { cycleProcessors, IN_PROCESS_RUNNER_OPTIONS } from "./cycle/processors.js";
import { createCycleService, type CycleService } from "./cycle/service.js";
import { deadLetterPathOf } from "./deliveries.js";
import type { CycleSettingsInput } from "./cycle/settings.js";
import { BullmqRunner } from "./jobs/bullmq-runner.js";
import { InProcessRunner, type InProcessRunnerOptions } from "./jobs/in-process-runner.js";
import type { JobRunner, ProcessorMap } from "./jobs/types.js";

/**
 * Parts a caller brings instead of the ones built from configuration. What a caller brings stays
 * its own (close() leaves it open); what the runtime builds, close() closes.
 */
export interface CycleRuntimeOverrides {
  /** An open database; without it, the configured one is opened. */
  db?: Db;
  /**
   * Where jobs go: a runner of the caller's (a worker's BullmqRunner on its own connection, a test's
   * recording runner), or "in-process" to run them here whatever REDIS_URL says (the demo). Without
   * it: BullMQ when REDIS_URL is set, else in-process.
   */
  runner?: JobRunner | "in-process";
  /** Options of the in-process runner when jobs run here (e.g. `sleep` for instant retries). */
  inProcess?: Omit<InProcessRunnerOptions, "processors" | "clock">;
  clock?: Clock;
  connector?: Connector;
  /** The actor name Pulse writes with (and who a human approver must not be); default "pulse". */
  actor?: string;
  approvalPolicy?: CycleSettingsInput["approvalPolicy"];
}

/** The cycle machinery, built once for a process: the CLI, `pulse worker`, the demo and the tests use it. */
export interface CycleRuntime {
  config: Config;
  db: Db;
  /** The ports the cycle's nodes and processors use: db, repos' clock, audit, approvals, runner, connector, LLM, memo. */
  deps: CycleDeps;
  service: CycleService;
  runner: JobRunner;
  /** The processors BullMQ workers and the in-process runner call. */
  processors: ProcessorMap;
  /** The in-process runner when jobs run in this process; undefined with BullMQ or a caller's runner. */
  inProcess: InProcessRunner | undefined;
  /** Runs every due job when jobs run in this process; a no-op otherwise (workers run them). */
  drain(): Promise<{ completed: number; failed: number; pending: number }>;
  /** Closes what the runtime opened (runner, connector, database), in that order. */
  close(): Promise<void>;
}

/** The connector the configuration asks for. */
export function connectorFromConfig(config: Config): Connector {
  if (config.PULSE_CONNECTOR === "webhook") {
    return createConnector({
      kind: "webhook",
      url: config.PULSE_WEBHOOK_URL!,
      secret: config.PULSE_WEBHOOK_SECRET!,
      deadLetterPath: deadLetterPathOf(config),
    });
  }
  return createConnector({ kind: "file", path: path.join(config.PULSE_DATA_DIR, "outbox.jsonl") });
}

/** Builds the ports, the cycle service and its processors once, from configuration and the parts given. */
export async function createCycleRuntime(config: Config, overrides: CycleRuntimeOverrides = {}): Promise<CycleRuntime> {
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async () => {
    for (const close of closers.splice(0).reverse()) await close();
  };
  try {
    let db = overrides.db;
    if (!db) {
      const opened = await openDb({ databaseUrl: config.DATABASE_URL, dataDir: config.PULSE_DATA_DIR, schema: config.PULSE_DB_SCHEMA });
      closers.push(() => opened.close());
      db = opened;
    }
    const clock = overrides.clock ?? systemClock;

    let connector = overrides.connector;
    if (!connector) {
      const made = connectorFromConfig(config);
      closers.push(async () => made.close?.());
      connector = made;
    }

    // Jobs are closed before the connector their sends use.
    let inProcess: InProcessRunner | undefined;
    let runner: JobRunner;
    if (overrides.runner !== undefined && overrides.runner !== "in-process") runner = overrides.runner;
    else if (overrides.runner === undefined && config.REDIS_URL) {
      const bullmq = BullmqRunner.connect(config.REDIS_URL, { prefix: config.PULSE_QUEUE_PREFIX });
      closers.push(() => bullmq.close());
      runner = bullmq;
    } else {
      const own = new InProcessRunner({ clock, ...IN_PROCESS_RUNNER_OPTIONS, ...overrides.inProcess });
      closers.push(() => own.close());
      runner = inProcess = own;
    }

    const audit = createAuditLog(db, clock);
    const deps: CycleDeps = {
      db,
      clock,
      audit,
      approvals: createApprovals({ db, audit, clock, ...(overrides.approvalPolicy ? { policy: overrides.approvalPolicy } : {}) }),
      runner,
      connector,
      ...(config.OPENAI_API_KEY ? { makeLlm: (onCall) => createLlmClientFromConfig(config, { onCall })! } : {}),
      llmConcurrency: config.PULSE_LLM_CONCURRENCY,
      copyCache: new LruCache(COPY_CACHE_ENTRIES),
      memo: new CycleMemo(),
      actor: overrides.actor ?? "pulse",
    };
    const service = await createCycleService(deps);
    closers.push(() => service.close());
    const processors = cycleProcessors(deps, service);
    inProcess?.serve(processors);

    return {
      config,
      db,
      deps,
      service,
      runner,
      processors,
      inProcess,
      async drain() {
        if (!inProcess) return { completed: 0, failed: 0, pending: 0 };
        const r = await inProcess.drain();
        return { completed: r.completed, failed: r.failed.length, pending: inProcess.pending().length };
      },
      close: closeAll,
    };
  } catch (err) {
    await closeAll().catch(() => {});
    throw err;
  }
}
