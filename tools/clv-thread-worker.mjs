// Worker thread of clv-thread.ts: fits and scores the CLV model (clv-model.ts) off the caller's
// thread. A worker starts outside any TypeScript loader (the CLI's tsx hooks, vitest's transform),
// so it registers tsx itself before importing the model. Protocol: one message { input } in,
// { output } or { error: { message, stack } } out.
import { parentPort } from "node:worker_threads";

try {
  const { register } = await import("tsx/esm/api");
  register();
  const { computeClv } = await import("./clv-model.ts");
  parentPort.on("message", ({ input }) => {
    try {
      parentPort.postMessage({ output: computeClv(input) });
    } catch (err) {
      parentPort.postMessage({ error: { message: err?.message ?? String(err), stack: err?.stack } });
    }
  });
  parentPort.postMessage({ ready: true });
} catch (err) {
  parentPort.postMessage({ ready: false, error: { message: err?.message ?? String(err), stack: err?.stack } });
}
