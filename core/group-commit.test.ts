import { describe, expect, it } from "vitest";
import { createGroupCommit, type ItemOutcome } from "./group-commit.js";

/** A commit that records each group it was given and answers each item with item * 10. */
function recording(options: { maxGroup: number; gatherTurn?: boolean; fail?: (n: number) => boolean; throwOn?: number }) {
  const groups: number[][] = [];
  const gc = createGroupCommit<number, number>({
    maxGroup: options.maxGroup,
    gatherTurn: options.gatherTurn,
    async commit(items) {
      groups.push([...items]);
      await new Promise((r) => setTimeout(r, 1));
      if (options.throwOn !== undefined && items.includes(options.throwOn)) throw new Error(`group with ${options.throwOn} failed`);
      return items.map((n): ItemOutcome<number> =>
        options.fail?.(n) ? { ok: false, error: new Error(`item ${n}`) } : { ok: true, value: n * 10 },
      );
    },
  });
  return { gc, groups };
}

describe("createGroupCommit", () => {
  it("sends the first item alone without gatherTurn and groups what arrives while it commits", async () => {
    const { gc, groups } = recording({ maxGroup: 100 });
    const results = await Promise.all([1, 2, 3, 4].map((n) => gc.submit(n)));
    expect(results).toEqual([10, 20, 30, 40]);
    expect(groups).toEqual([[1], [2, 3, 4]]);
  });

  it("with gatherTurn, items submitted in the same turn form one group, in submission order", async () => {
    const { gc, groups } = recording({ maxGroup: 100, gatherTurn: true });
    const results = await Promise.all([5, 3, 9].map((n) => gc.submit(n)));
    expect(results).toEqual([50, 30, 90]);
    expect(groups).toEqual([[5, 3, 9]]);
  });

  it("never puts more than maxGroup items in one commit", async () => {
    const { gc, groups } = recording({ maxGroup: 3, gatherTurn: true });
    const items = Array.from({ length: 8 }, (_, i) => i);
    expect(await Promise.all(items.map((n) => gc.submit(n)))).toEqual(items.map((n) => n * 10));
    expect(groups).toEqual([
      [0, 1, 2],
      [3, 4, 5],
      [6, 7],
    ]);
  });

  it("an item's own failure rejects only that item", async () => {
    const { gc } = recording({ maxGroup: 10, gatherTurn: true, fail: (n) => n === 2 });
    const settled = await Promise.allSettled([1, 2, 3].map((n) => gc.submit(n)));
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((settled[1] as PromiseRejectedResult).reason).toEqual(new Error("item 2"));
  });

  it("a commit that throws fails its whole group, and the next group still runs", async () => {
    const { gc, groups } = recording({ maxGroup: 2, gatherTurn: true, throwOn: 1 });
    const settled = await Promise.allSettled([0, 1, 2].map((n) => gc.submit(n)));
    expect(settled.map((s) => s.status)).toEqual(["rejected", "rejected", "fulfilled"]);
    expect((settled[0] as PromiseRejectedResult).reason).toEqual(new Error("group with 1 failed"));
    expect(groups).toEqual([[0, 1], [2]]);
  });

  it("starts draining again for items submitted after the queue ran dry", async () => {
    const { gc, groups } = recording({ maxGroup: 10, gatherTurn: true });
    expect(await gc.submit(1)).toBe(10);
    expect(await gc.submit(2)).toBe(20);
    expect(groups).toEqual([[1], [2]]);
  });

  it("rejects every item of a group whose commit returned too few outcomes", async () => {
    const gc = createGroupCommit<number, number>({ maxGroup: 10, gatherTurn: true, commit: async () => [{ ok: true, value: 1 }] });
    const settled = await Promise.allSettled([1, 2].map((n) => gc.submit(n)));
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "rejected"]);
  });

  it("refuses a maxGroup below 1", () => {
    expect(() => createGroupCommit({ maxGroup: 0, commit: async () => [] })).toThrow(RangeError);
  });

  it("with concurrency, a backlog of more than maxGroup commits as that many groups at once; a lone item waits for the group under way", async () => {
    let running = 0;
    let most = 0;
    const groups: number[][] = [];
    const gc = createGroupCommit<number, number>({
      maxGroup: 2,
      gatherTurn: true,
      concurrency: 2,
      commit: async (items) => {
        groups.push([...items]);
        most = Math.max(most, ++running);
        await new Promise((r) => setTimeout(r, 20));
        running--;
        return items.map((n) => ({ ok: true as const, value: n }));
      },
    });
    const first = Promise.all([1, 2, 3, 4, 5].map((n) => gc.submit(n)));
    await new Promise((r) => setTimeout(r, 5));
    const late = gc.submit(6);
    expect(await first).toEqual([1, 2, 3, 4, 5]);
    expect(await late).toBe(6);
    expect(most).toBe(2);
    expect(groups.slice(0, 2)).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(groups.flat().sort()).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
