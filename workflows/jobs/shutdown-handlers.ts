/** The bits of `process` the handler needs; tests pass a fake emitter. */
export interface SignalSource {
  once(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  removeListener(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
}

export interface ShutdownOptions {
  signals?: readonly NodeJS.Signals[];
  source?: SignalSource;
  exit?: (code: number) => void;
  /** Called when a signal arrives, before closing (the worker command logs here). */
  onSignal?: (signal: NodeJS.Signals) => void;
  /** Called if closing throws; the process then exits 1. */
  onCloseError?: (err: unknown) => void;
}

/**
 * On the first SIGTERM or SIGINT: run `close` (workers finish their active jobs, then connections
 * and the database close) and exit 0, or 1 if closing failed. A second signal exits 1 at once, for an
 * operator who does not want to wait. Returns a function that removes the handlers.
 */
export function installShutdownHandlers(close: (signal: NodeJS.Signals) => Promise<void>, options: ShutdownOptions = {}): () => void {
  const signals = options.signals ?? (["SIGTERM", "SIGINT"] as const);
  const source: SignalSource = options.source ?? process;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let shuttingDown = false;

  const onSecondSignal = (): void => exit(1);
  const onFirstSignal = (signal: NodeJS.Signals): void => {
    if (shuttingDown) return;
    shuttingDown = true;
    for (const s of signals) {
      source.removeListener(s, onFirstSignal);
      source.once(s, onSecondSignal);
    }
    options.onSignal?.(signal);
    close(signal).then(
      () => exit(0),
      (err: unknown) => {
        options.onCloseError?.(err);
        exit(1);
      },
    );
  };

  for (const s of signals) source.once(s, onFirstSignal);
  return () => {
    for (const s of signals) {
      source.removeListener(s, onFirstSignal);
      source.removeListener(s, onSecondSignal);
    }
  };
}
