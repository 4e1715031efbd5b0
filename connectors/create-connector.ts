import { z } from "zod";
import type { Clock } from "../core/clock.js";
import type { Connector } from "./connector.js";
import { DeadLetterFile } from "./dead-letter-file.js";
import { ConnectorConfigError } from "./delivery-errors.js";
import { FileOutboxConnector, fileOutboxOptionsSchema } from "./file-outbox.js";
import { createSimulatorConnector, type SimulatorConnector } from "./simulator.js";
import { WebhookConnector, webhookOptionsSchema, type Sleep } from "./webhook.js";

/** Connector configuration, one shape per kind. Parse it once where configuration is read. */
export const webhookConnectorConfigSchema = webhookOptionsSchema.extend({
  kind: z.literal("webhook"),
  /** JSONL file for messages that exhaust their attempts; without it they come back "failed". */
  deadLetterPath: z.string().min(1).optional(),
  deadLetterFsync: z.boolean().default(false),
});
export const fileConnectorConfigSchema = fileOutboxOptionsSchema.extend({ kind: z.literal("file") });
export const simulatorConnectorConfigSchema = z.object({
  kind: z.literal("simulator"),
  name: z.string().min(1).max(64).default("simulator"),
});

export const connectorConfigSchema = z.discriminatedUnion("kind", [
  webhookConnectorConfigSchema,
  fileConnectorConfigSchema,
  simulatorConnectorConfigSchema,
]);
export type ConnectorConfig = z.infer<typeof connectorConfigSchema>;
export type ConnectorConfigInput = z.input<typeof connectorConfigSchema>;
export type ConnectorKind = ConnectorConfig["kind"];

/** Injected for tests; production passes nothing. */
export interface ConnectorDeps {
  clock?: Clock;
  sleep?: Sleep;
  random?: () => number;
}

/**
 * Builds the connector a configuration names. The returned connector owns what the factory created
 * (the dead-letter file): its `close()` closes both.
 */
export function createConnector(config: z.input<typeof simulatorConnectorConfigSchema>, deps?: ConnectorDeps): SimulatorConnector;
export function createConnector(config: z.input<typeof fileConnectorConfigSchema>, deps?: ConnectorDeps): FileOutboxConnector;
export function createConnector(config: z.input<typeof webhookConnectorConfigSchema>, deps?: ConnectorDeps): WebhookConnector;
export function createConnector(config: unknown, deps?: ConnectorDeps): Connector;
export function createConnector(config: unknown, deps: ConnectorDeps = {}): Connector {
  const parsed = connectorConfigSchema.safeParse(config);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConnectorConfigError(`connector ${issue.path.join(".") || "config"}: ${issue.message}`, { cause: parsed.error });
  }
  const c = parsed.data;
  switch (c.kind) {
    case "simulator":
      return createSimulatorConnector({ name: c.name });
    case "file":
      return new FileOutboxConnector(c);
    case "webhook": {
      const { kind: _kind, deadLetterPath, deadLetterFsync, ...options } = c;
      const deadLetter =
        deadLetterPath === undefined ? undefined : new DeadLetterFile(deadLetterPath, { fsync: deadLetterFsync, clock: deps.clock });
      const connector = new WebhookConnector(options, { ...deps, deadLetter, closeDeadLetter: true });
      return connector;
    }
  }
}
