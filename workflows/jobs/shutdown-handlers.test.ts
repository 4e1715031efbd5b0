import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { installShutdownHandlers } from "./shutdown-handlers.js";

describe("installShutdownHandlers", () => {
  it("closes once on the first signal, then exits 0", async () => {
    const source = new EventEmitter();
    const exits: number[] = [];
    const closes: string[] = [];
    installShutdownHandlers(async (s) => void closes.push(s), { source, exit: (c) => exits.push(c) });
    source.emit("SIGTERM", "SIGTERM");
    await new Promise((r) => setImmediate(r));
    expect(closes).toEqual(["SIGTERM"]);
    expect(exits).toEqual([0]);
  });

  it("exits 1 on a second signal while closing, and 1 if closing fails", async () => {
    const source = new EventEmitter();
    const exits: number[] = [];
    const errors: unknown[] = [];
    let fail!: (e: Error) => void;
    installShutdownHandlers(() => new Promise<void>((_, reject) => (fail = reject)), {
      source,
      exit: (c) => exits.push(c),
      onCloseError: (e) => errors.push(e),
    });
    source.emit("SIGINT", "SIGINT");
    source.emit("SIGINT", "SIGINT");
    expect(exits).toEqual([1]);
    fail(new Error("db close failed"));
    await new Promise((r) => setImmediate(r));
    expect(exits).toEqual([1, 1]);
    expect(errors).toHaveLength(1);
  });

  it("can be uninstalled", () => {
    const source = new EventEmitter();
    const uninstall = installShutdownHandlers(async () => {}, { source, exit: () => {} });
    expect(source.listenerCount("SIGTERM")).toBe(1);
    uninstall();
    expect(source.listenerCount("SIGTERM")).toBe(0);
    expect(source.listenerCount("SIGINT")).toBe(0);
  });
});
