import { exitCodeFor, PulseError } from "../../core/errors.js";

/**
 * Wraps a command action: prints a one-line error (no stack unless PULSE_DEBUG-like verbosity is
 * wanted via --verbose on the root) and sets an exit code that means something (see core/errors.ts).
 */
export function runAction<A extends unknown[]>(fn: (...args: A) => Promise<number | void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      const code = await fn(...args);
      process.exitCode = code ?? 0;
    } catch (err) {
      const message =
        err instanceof PulseError ? `${err.name}: ${err.message}` : err instanceof Error ? (err.stack ?? err.message) : String(err);
      process.stderr.write(`pulse: ${message}\n`);
      process.exitCode = exitCodeFor(err);
    }
  };
}

/** Prints data as JSON when asked, else as text made by `render`. */
export function printResult<T>(value: T, json: boolean | undefined, render: (v: T) => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${render(value)}\n`);
}
