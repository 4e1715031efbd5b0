import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import { loadConfig } from "../../core/config.js";
import { closeRedisConnection, createRedisConnection } from "./redis-connection.js";

/** Test support: a connection to the test Redis and a key prefix of its own, removed by `cleanup()`. */
export interface TestRedis {
  url: string;
  connection: Redis;
  prefix: string;
  cleanup(): Promise<void>;
}

export async function createTestRedis(): Promise<TestRedis> {
  const url = loadConfig().PULSE_TEST_REDIS_URL;
  const prefix = `pulse-test-${randomBytes(6).toString("hex")}`;
  const connection = createRedisConnection(url, { name: "pulse-test" });
  await connection.ping();
  return {
    url,
    connection,
    prefix,
    async cleanup() {
      await deleteKeys(connection, `${prefix}:*`);
      await closeRedisConnection(connection);
    },
  };
}

async function deleteKeys(connection: Redis, pattern: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await connection.scan(cursor, "MATCH", pattern, "COUNT", 500);
    cursor = next;
    if (keys.length > 0) await connection.del(...keys);
  } while (cursor !== "0");
}
