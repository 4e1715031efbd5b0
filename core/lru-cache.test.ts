import { describe, expect, it } from "vitest";
import { LruCache } from "./lru-cache.js";

describe("LruCache", () => {
  it("keeps at most maxEntries, dropping the least recently used first", () => {
    const c = new LruCache<string, number>(2);
    c.set("a", 1).set("b", 2);
    expect(c.get("a")).toBe(1); // a is now the most recently used
    c.set("c", 3);
    expect(c.size).toBe(2);
    expect(c.get("b")).toBeUndefined();
    expect(c.get("a")).toBe(1);
    expect(c.get("c")).toBe(3);
  });

  it("replacing a key's value neither grows the cache nor evicts another key", () => {
    const c = new LruCache<string, number>(2);
    c.set("a", 1).set("b", 2).set("a", 10);
    expect(c.size).toBe(2);
    expect(c.get("a")).toBe(10);
    expect(c.get("b")).toBe(2);
  });

  it("stays bounded however many keys go in", () => {
    const c = new LruCache<number, number>(100);
    for (let i = 0; i < 10_000; i++) c.set(i, i);
    expect(c.size).toBe(100);
    expect(c.get(9_999)).toBe(9_999);
    expect(c.get(9_899)).toBeUndefined();
  });

  it("refuses a size below 1", () => {
    expect(() => new LruCache(0)).toThrow(RangeError);
  });
});
