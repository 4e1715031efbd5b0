/**
 * Every error Pulse throws on purpose has its own class, a stable `code` and a `name`.
 * `retryable` tells job processors whether a retry can help (see workflows/).
 */
export class PulseError extends Error {
  readonly code: string;
  readonly retryable: boolean;

  constructor(code: string, message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

/** An environment variable is missing or malformed. */
export class ConfigError extends PulseError {
  readonly variable: string;
  constructor(variable: string, message: string) {
    super("CONFIG_INVALID", `${variable}: ${message}`);
    this.variable = variable;
  }
}

/** Input given by a user (CLI argument, file, request) is not acceptable. */
export class InputError extends PulseError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super("INPUT_INVALID", message, options);
  }
}

/** A file cannot be read at all, or its header is not one Pulse knows. */
export class IngestFileError extends PulseError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super("INGEST_FILE_INVALID", message, options);
  }
}

/** The database could not be opened, migrated or reached. */
export class StoreError extends PulseError {
  constructor(message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super("STORE_FAILED", message, options);
  }
}

/** Something asked for does not exist. */
export class NotFoundError extends PulseError {
  constructor(what: string) {
    super("NOT_FOUND", `${what} not found`);
  }
}

/** Exit codes of the CLI; stable, documented in the README. */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  input: 3,
  config: 4,
  store: 5,
} as const;

export function exitCodeFor(err: unknown): number {
  if (err instanceof ConfigError) return ExitCode.config;
  if (err instanceof InputError || err instanceof IngestFileError) return ExitCode.input;
  if (err instanceof StoreError) return ExitCode.store;
  return ExitCode.failure;
}
