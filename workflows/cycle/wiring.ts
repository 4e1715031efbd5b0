import path from "node:path";
import { createLlmClientFromConfig } from "../../agents/llm/openai-client.js";
import type { Connector } from "../../connectors/connector.js";
import { createConnector } from "../../connectors/create-connector.js";
import type { Config } from "../../core/config.js";
import { systemClock, type Clock } from "../../core/clock.js";
import { createApprovals } from "../../guardrails/approval-decisions.js";
import { createAuditLog } from "../../guardrails/audit.js";
import type { Db } from "../../store/db.js";
import type { JobRunner, ProcessorMap } from "../jobs/types.js";
import type { CycleDeps } from "./deps.js";
import { cycleProcessors } from "./processors.js";
import { createCycleService, type CycleService } from "./service.js";
import type { CycleSettingsInput } from "./settings.js";

/** The connector the configuration asks for. */
export function connectorFromConfig(config: Config): Connector {
  if (config.PULSE_CONNECTOR === "webhook") {
    return createConnector({
      kind: "webhook",
      url: config.PULSE_WEBHOOK_URL!,
      secret: config.PULSE_WEBHOOK_SECRET!,
      deadLetterPath: path.join(config.PULSE_DATA_DIR, "dead-letter.jsonl"),
    });
  }
  return createConnector({ kind: "file", path: path.join(config.PULSE_DATA_DIR, "outbox.jsonl") });
}

/** Builds the cycle's dependencies from configuration; parts can be swapped (tests, the demo). */
export function createCycleDeps(options: {
  db: Db;
  config: Config;
  runner: JobRunner;
  clock?: Clock;
  connector?: Connector;
  actor?: string;
  approvalPolicy?: CycleSettingsInput["approvalPolicy"];
}): CycleDeps {
  const clock = options.clock ?? systemClock;
  const audit = createAuditLog(options.db, clock);
  const config = options.config;
  return {
    db: options.db,
    clock,
    audit,
    approvals: createApprovals({ db: options.db, audit, clock, ...(options.approvalPolicy ? { policy: options.approvalPolicy } : {}) }),
    runner: options.runner,
    connector: options.connector ?? connectorFromConfig(config),
    ...(config.OPENAI_API_KEY ? { makeLlm: (onCall) => createLlmClientFromConfig(config, { onCall })! } : {}),
    accounting: new Map(),
    cache: new Map(),
    copyCache: new Map(),
    actor: options.actor ?? "pulse",
  };
}

export async function createCycleProcessors(options: { db: Db; config: Config; runner: JobRunner }): Promise<ProcessorMap> {
  const deps = createCycleDeps(options);
  const service: CycleService = await createCycleService(deps);
  return cycleProcessors(deps, service);
}
