import { Worker } from "node:worker_threads";
import { computeClv, type ClvInput, type ClvOutput } from "./clv-model.js";

/**
 * CLV on a worker thread, so the caller's thread does other work while the model is fitted (seconds
 * for tens of thousands of customers: BG/NBD's Nelder-Mead evaluates its likelihood over everyone a
 * thousand times and more). Same code, same results as computeClv on the calling thread. Start the
 * thread early (it loads its modules meanwhile), call `compute` once; the thread then exits. If the
 * thread cannot start, `compute` runs the model on the calling thread instead.
 */
export interface ClvThread {
  compute(input: ClvInput): Promise<ClvOutput>;
  /** Stops the thread if `compute` was never called (or is still running). */
  close(): Promise<void>;
}

export function startClvThread(): ClvThread {
  let worker: Worker | undefined;
  let ready: Promise<boolean>;
  try {
    worker = new Worker(new URL("./clv-thread-worker.mjs", import.meta.url));
    worker.unref();
    const w = worker;
    ready = new Promise<boolean>((resolve) => {
      w.once("message", (m: { ready?: boolean }) => resolve(m.ready === true));
      w.once("error", () => resolve(false));
      w.once("exit", () => resolve(false));
    });
  } catch {
    ready = Promise.resolve(false);
  }
  const stop = async () => {
    const w = worker;
    worker = undefined;
    await w?.terminate().catch(() => {});
  };
  return {
    async compute(input) {
      if (!(await ready) || !worker) {
        await stop();
        return computeClv(input);
      }
      const w = worker;
      // The model's own errors (e.g. invalid input) are the caller's; a thread that dies is not:
      // then the model runs here.
      const answer = await new Promise<{ output: ClvOutput } | { error: Error } | { died: true }>((resolve) => {
        w.once("message", (m: { output?: ClvOutput; error?: { message: string; stack?: string } }) =>
          resolve(m.error ? { error: Object.assign(new Error(m.error.message), { stack: m.error.stack }) } : { output: m.output! }),
        );
        w.once("error", () => resolve({ died: true }));
        w.once("exit", () => resolve({ died: true }));
        w.postMessage({ input });
      });
      await stop();
      if ("output" in answer) return answer.output;
      if ("error" in answer) throw answer.error;
      return computeClv(input);
    },
    close: stop,
  };
}
