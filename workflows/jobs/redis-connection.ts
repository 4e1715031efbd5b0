import { Redis } from "ioredis";

/**
 * One ioredis connection for BullMQ. BullMQ's ESM build cannot load ioredis itself, so Pulse always
 * hands it an instance. maxRetriesPerRequest must be null for workers (blocking commands); the
 * producer side fails fast through the runner's own checks instead.
 */
export function createRedisConnection(url: string, options: { name?: string } = {}): Redis {
  const connection = new Redis(url, { maxRetriesPerRequest: null, connectionName: options.name });
  // ioredis emits 'error' on every failed reconnect; unhandled, that would crash the process.
  // Callers that want to log it add their own listener.
  connection.on("error", () => {});
  return connection;
}

/** Closes a connection politely, or drops it if Redis is already gone. */
export async function closeRedisConnection(connection: Redis): Promise<void> {
  if (connection.status === "end") return;
  try {
    await connection.quit();
  } catch {
    connection.disconnect();
  }
}
