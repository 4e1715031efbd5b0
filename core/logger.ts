import { pino, type Logger } from "pino";

export type { Logger };

/** Loggers are made at entry points (CLI, worker, HTTP, Slack) and passed down; logs go to stderr. */
export function createLogger(level: string, bindings: Record<string, unknown> = {}): Logger {
  return pino({ level, base: bindings }, pino.destination(2));
}
