import { z } from "zod";
import { ConfigError } from "./errors.js";
import { roleSchema, type Role } from "./roles.js";

/**
 * The one place that reads process.env. Everything else receives a Config.
 * Empty strings count as unset, so `FOO= pulse ...` behaves like no FOO at all.
 */
const emptyAsUndefined = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);
const optionalUrl = (protocols: string[]) =>
  z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .refine(
        (v) => {
          try {
            return protocols.includes(new URL(v).protocol);
          } catch {
            return false;
          }
        },
        `must be a URL starting with ${protocols.map((p) => `${p}//`).join(" or ")}`,
      )
      .optional(),
  );

/** "U01:approver, U02:marketer" → { U01: "approver", U02: "marketer" }. */
const slackRolesSchema = z
  .string()
  .transform((v) =>
    v
      .split(",")
      .map((pair) => pair.trim())
      .filter(Boolean),
  )
  .pipe(
    z.array(
      z
        .string()
        .regex(/^[A-Z0-9]+:[a-z]+$/, 'each entry must be "<Slack user id>:<role>", e.g. U0123ABCD:approver')
        .transform((pair) => pair.split(":") as [string, string])
        .pipe(z.tuple([z.string(), roleSchema])),
    ),
  )
  .transform((pairs) => Object.fromEntries(pairs) as Record<string, z.infer<typeof roleSchema>>);

/** LLM calls of one cycle step at once, unless PULSE_LLM_CONCURRENCY says otherwise. */
export const DEFAULT_LLM_CONCURRENCY = 4;

export const configSchema = z.object({
  DATABASE_URL: optionalUrl(["postgres:", "postgresql:"]),
  PULSE_DB_SCHEMA: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, "must be a lower-case SQL identifier")
      .default("public"),
  ),
  PULSE_DATA_DIR: z.preprocess(emptyAsUndefined, z.string().default("./.pulse")),
  REDIS_URL: optionalUrl(["redis:", "rediss:"]),
  PULSE_QUEUE_PREFIX: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/)
      .default("pulse"),
  ),
  OPENAI_API_KEY: z.preprocess(emptyAsUndefined, z.string().optional()),
  OPENAI_BASE_URL: optionalUrl(["http:", "https:"]),
  PULSE_MODEL: z.preprocess(emptyAsUndefined, z.string().default("gpt-4o-mini")),
  PULSE_LLM_TIMEOUT_MS: z.preprocess(emptyAsUndefined, z.coerce.number().int().positive().default(30_000)),
  /** At most this many LLM calls of one cycle step at once (the copywriter writes its campaigns in parallel). */
  PULSE_LLM_CONCURRENCY: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).max(64).default(DEFAULT_LLM_CONCURRENCY)),
  /** Where messages go: a JSONL outbox file (default), a signed webhook, or nowhere but the simulator. */
  PULSE_CONNECTOR: z.preprocess(emptyAsUndefined, z.enum(["file", "webhook"]).default("file")),
  PULSE_WEBHOOK_URL: optionalUrl(["http:", "https:"]),
  PULSE_WEBHOOK_SECRET: z.preprocess(emptyAsUndefined, z.string().min(16, "must be at least 16 characters").optional()),
  /** Cron pattern for autonomous cycles (pulse worker --schedule overrides it). */
  PULSE_CYCLE_CRON: z.preprocess(emptyAsUndefined, z.string().optional()),
  PULSE_LOG_LEVEL: z.preprocess(emptyAsUndefined, z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("warn")),
  /**
   * Guardrail policy, identity, audit checkpoints and retention (issue 13, section 3).
   * PULSE_ACTOR: a service account's name, taken as the CLI actor instead of the operating-system user
   * (trusted as set by whoever controls that service's environment). PULSE_CLI_ROLES: roles of CLI
   * users, "alice:approver,bob:admin"; unset, the OS user who owns the data directory is admin and
   * everyone else a marketer. PULSE_AUDIT_KEY (HMAC-SHA256 secret) or PULSE_AUDIT_KEY_FILE (an Ed25519
   * PEM key, or a file holding the secret) sign audit checkpoints, written to PULSE_AUDIT_CHECKPOINT_FILE
   * (default <data dir>/audit-checkpoints.jsonl), by pulse worker every PULSE_AUDIT_CHECKPOINT_MINUTES;
   * pulse worker prunes by the retention policy every PULSE_PRUNE_MINUTES.
   */
  PULSE_ACTOR: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/, "must be a name of letters, digits and . _ @ - (at most 64)")
      .optional(),
  ),
  PULSE_CLI_ROLES: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .transform((v, ctx): Record<string, Role> | typeof z.NEVER => {
        const out: Record<string, Role> = {};
        for (const part of v
          .split(",")
          .map((x) => x.trim())
          .filter(Boolean)) {
          const [name, role, ...rest] = part.split(":").map((x) => x.trim());
          const parsed = roleSchema.safeParse(role);
          if (!name || rest.length > 0 || !parsed.success) {
            ctx.addIssue({ code: "custom", message: `"${part}" is not name:role (roles: ${roleSchema.options.join(", ")})` });
            return z.NEVER;
          }
          out[name] = parsed.data;
        }
        return out;
      })
      .optional(),
  ),
  PULSE_AUDIT_KEY: z.preprocess(emptyAsUndefined, z.string().min(16, "must be at least 16 characters").optional()),
  PULSE_AUDIT_KEY_FILE: z.preprocess(emptyAsUndefined, z.string().optional()),
  PULSE_AUDIT_CHECKPOINT_FILE: z.preprocess(emptyAsUndefined, z.string().optional()),
  PULSE_AUDIT_CHECKPOINT_MINUTES: z.preprocess(emptyAsUndefined, z.coerce.number().positive().default(60)),
  PULSE_PRUNE_MINUTES: z.preprocess(emptyAsUndefined, z.coerce.number().positive().default(1440)),
  // --- Slack app (interfaces/slack/) ---
  /** Signs every request Slack sends; without it the Slack app is not served. */
  SLACK_SIGNING_SECRET: z.preprocess(emptyAsUndefined, z.string().min(8, "must be at least 8 characters").optional()),
  /**
   * App-level token (xapp-..., scope connections:write): set, the Slack app connects over socket mode
   * (no public Request URL; SLACK_SIGNING_SECRET not needed) instead of serving POST /slack/events.
   */
  SLACK_APP_TOKEN: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^xapp-/, "must be an app-level token (xapp-...)")
      .optional(),
  ),
  /** Bot token (xoxb-...) for the Web API. */
  SLACK_BOT_TOKEN: z.preprocess(emptyAsUndefined, z.string().optional()),
  /** Channel id where plans waiting for approval are posted. */
  PULSE_SLACK_APPROVALS_CHANNEL: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^[A-Z0-9]+$/, "must be a Slack channel id (C0123...)")
      .optional(),
  ),
  /** Web API base URL (a local stand-in in tests); the client's default is https://slack.com/api/. */
  PULSE_SLACK_API_URL: optionalUrl(["http:", "https:"]),
  /** Slack user id → role, e.g. "U01:approver,U02:marketer"; anyone else is refused politely. */
  PULSE_SLACK_ROLES: z.preprocess(emptyAsUndefined, slackRolesSchema.default({})),
  /** How often plan messages are brought up to date (expired, sent, measured). */
  PULSE_SLACK_SYNC_MS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1000).default(30_000)),
  /** HTTP API and dashboard (pulse serve): where it listens; --port / --host override. */
  PULSE_HTTP_PORT: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).max(65_535).default(8080)),
  PULSE_HTTP_HOST: z.preprocess(emptyAsUndefined, z.string().default("127.0.0.1")),
  /** Set when the dashboard is served over HTTPS, so its session cookie is marked Secure. */
  PULSE_HTTP_SECURE_COOKIES: z.preprocess(emptyAsUndefined, z.stringbool().default(false)),
  /**
   * The sweeper (workflows/cycle/sweeper.ts): pulse worker re-drives messages still queued this long
   * after their planned time, every interval (0 turns the periodic sweep off).
   */
  PULSE_SWEEP_INTERVAL_MS: z.preprocess(emptyAsUndefined, z.coerce.number().int().nonnegative().default(60_000)),
  PULSE_SWEEP_GRACE_MS: z.preprocess(emptyAsUndefined, z.coerce.number().int().nonnegative().default(300_000)),
  /** Used by integration tests and benchmarks only; defaults match the CI machine. */
  PULSE_TEST_DATABASE_URL: z.preprocess(emptyAsUndefined, z.string().default("postgres://postgres@127.0.0.1:5432/test")),
  PULSE_TEST_REDIS_URL: z.preprocess(emptyAsUndefined, z.string().default("redis://127.0.0.1:6379")),
});

export type Config = z.infer<typeof configSchema>;

function checkCrossField(c: Config): void {
  if (c.PULSE_CONNECTOR === "webhook" && !c.PULSE_WEBHOOK_URL)
    throw new ConfigError("PULSE_WEBHOOK_URL", "required when PULSE_CONNECTOR=webhook");
  if (c.PULSE_CONNECTOR === "webhook" && !c.PULSE_WEBHOOK_SECRET)
    throw new ConfigError("PULSE_WEBHOOK_SECRET", "required when PULSE_CONNECTOR=webhook");
}

export function parseConfig(env: Record<string, string | undefined>): Config {
  const result = configSchema.safeParse(env);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const variable = String(issue.path[0] ?? "environment");
    throw new ConfigError(variable, issue.message);
  }
  checkCrossField(result.data);
  return result.data;
}

let memo: Config | undefined;

/** The process configuration, validated once. */
export function loadConfig(): Config {
  memo ??= parseConfig(process.env);
  return memo;
}
