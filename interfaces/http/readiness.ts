import { Redis } from "ioredis";
import type { Config } from "../../core/config.js";
import type { Db } from "../../store/db.js";
import { pingDb } from "../../store/dashboard-repo.js";

export interface Readiness {
  ready: boolean;
  checks: { database: "ok" | string; redis?: "ok" | string };
}

async function pingRedis(url: string, timeoutMs: number): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: timeoutMs, retryStrategy: () => null });
  redis.on("error", () => {});
  try {
    await redis.connect();
    await redis.ping();
  } finally {
    redis.disconnect();
  }
}

const failure = (err: unknown) => (err instanceof Error ? err.message : String(err)).slice(0, 200) || "unreachable";

/** The database answers, and Redis too when one is configured. */
export async function checkReadiness(db: Db, config: Pick<Config, "REDIS_URL">, timeoutMs = 2_000): Promise<Readiness> {
  const database = await pingDb(db).then(
    () => "ok" as const,
    (err: unknown) => failure(err),
  );
  const checks: Readiness["checks"] = { database };
  if (config.REDIS_URL)
    checks.redis = await pingRedis(config.REDIS_URL, timeoutMs).then(
      () => "ok" as const,
      (err: unknown) => failure(err),
    );
  return { ready: Object.values(checks).every((c) => c === "ok"), checks };
}
