import type { ChildProcess } from "node:child_process";

/** Test support for child processes. */

/** Collects a child's stdout and resolves when a line matching `pattern` appears. */
export function watchOutput(child: ChildProcess, stream: "stdout" | "stderr" = "stdout") {
  let text = "";
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  child[stream]!.on("data", (chunk: Buffer) => {
    text += chunk.toString();
    for (const w of [...waiters]) if (w.pattern.test(text)) w.resolve();
  });
  return {
    get text() {
      return text;
    },
    waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<void> {
      if (pattern.test(text)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${pattern} in ${stream}:\n${text}`)), timeoutMs);
        waiters.push({ pattern, resolve: () => (clearTimeout(timer), resolve()) });
      });
    },
  };
}

export function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
}
