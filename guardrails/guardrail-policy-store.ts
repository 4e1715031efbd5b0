import { z } from "zod";
import { systemClock, type Clock } from "../core/clock.js";
import { InputError } from "../core/errors.js";
import { can, type Actor } from "../core/roles.js";
import type { Db } from "../store/db.js";
import { insertPolicyVersion, listPolicyVersions, readLatestPolicyVersion, type PolicyVersionRow } from "../store/policy-repo.js";
import type { CycleSettings } from "../workflows/cycle/settings.js";
import type { AuditLog } from "./audit.js";
import { digestOf } from "./audit-hash.js";
import {
  applyBrief,
  DEFAULT_GUARDRAIL_POLICY,
  guardrailPolicySchema,
  type GuardrailPolicy,
  type LoosenedField,
} from "./guardrail-policy.js";
import { PermissionDeniedError, PolicyLoosenedError } from "./policy-errors.js";

/**
 * The guardrail policy in the database: read the version in force, change it (admins only, each
 * change a new version with who and why, audited in the same transaction), and resolve a cycle's
 * brief against it (refusals audited). Every entry point that starts a cycle goes through
 * resolveCycleSettings, called by the cycle service.
 */

export interface PolicyInForce {
  /** 0 when no admin ever set one: the built-in defaults. */
  version: number;
  policy: GuardrailPolicy;
  digest: string;
  changedBy: string | null;
  reason: string | null;
  changedAt: Date | null;
}

function fromRow(row: PolicyVersionRow): PolicyInForce {
  return {
    version: row.version,
    policy: guardrailPolicySchema.parse(row.policy),
    digest: row.digest,
    changedBy: row.changedBy,
    reason: row.reason,
    changedAt: row.changedAt,
  };
}

export async function currentGuardrailPolicy(db: Db): Promise<PolicyInForce> {
  const row = await readLatestPolicyVersion(db.pool);
  if (!row)
    return {
      version: 0,
      policy: DEFAULT_GUARDRAIL_POLICY,
      digest: digestOf(DEFAULT_GUARDRAIL_POLICY),
      changedBy: null,
      reason: null,
      changedAt: null,
    };
  return fromRow(row);
}

export async function guardrailPolicyHistory(db: Db, limit = 100): Promise<PolicyInForce[]> {
  return (await listPolicyVersions(db.pool, limit)).map(fromRow);
}

/** Dotted paths whose values differ between two policies (arrays compared whole). Pure. */
export interface PolicyChange {
  field: string;
  /** The value before (named for the audit entry's field list). */
  policy: unknown;
  /** The value after. */
  requested: unknown;
}

export function policyChanges(before: GuardrailPolicy, after: GuardrailPolicy): PolicyChange[] {
  const flat = (v: unknown, prefix: string, out: Map<string, unknown>) => {
    if (typeof v === "object" && v !== null && !Array.isArray(v) && !prefix.endsWith("quietHours")) {
      for (const [k, x] of Object.entries(v)) flat(x, prefix ? `${prefix}.${k}` : k, out);
    } else out.set(prefix, v);
    return out;
  };
  const a = flat(before, "", new Map());
  const b = flat(after, "", new Map());
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  return keys
    .filter((k) => JSON.stringify(a.get(k)) !== JSON.stringify(b.get(k)))
    .map((k) => ({ field: k, policy: a.get(k) ?? null, requested: b.get(k) ?? null }));
}

const reasonSchema = z.string().trim().min(3, "say why the policy changes (--reason)").max(2_000);

/** A new policy version by an admin: validated whole (unknown fields refused), stored and audited together. */
export async function setGuardrailPolicy(
  deps: { db: Db; audit: AuditLog; clock?: Clock },
  actor: Actor,
  input: unknown,
  reason: string,
): Promise<{ version: number; changes: PolicyChange[] }> {
  if (!can(actor.role, "admin"))
    throw new PermissionDeniedError(actor.id, actor.role, "admin", "only an admin changes the guardrail policy");
  const why = reasonSchema.safeParse(reason);
  if (!why.success) throw new InputError(why.error.issues[0]!.message);
  const parsed = guardrailPolicySchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InputError(`policy invalid at ${issue.path.join(".") || "(root)"}: ${issue.message}`, { cause: parsed.error });
  }
  const policy = parsed.data;
  const before = await currentGuardrailPolicy(deps.db);
  const changes = policyChanges(before.policy, policy);
  const digest = digestOf(policy);
  const now = (deps.clock ?? systemClock).now();
  const row = await deps.db.transaction(async (client) => {
    const written = await insertPolicyVersion(client, {
      policy,
      digest,
      changedBy: actor.id,
      role: actor.role,
      reason: why.data,
      changedAt: now,
    });
    await deps.audit.appendInTransaction(client, [
      {
        kind: "policy",
        actor: actor.id,
        at: now,
        entry: { event: "changed", version: written.version, digest, reason: why.data, fields: changes },
      },
    ]);
    return written;
  });
  return { version: row.version, changes };
}

/**
 * The settings a cycle runs with: its brief over the policy in force. A brief that would loosen any
 * limit is refused (PolicyLoosenedError naming every field) and the refusal audited, with who asked.
 */
export async function resolveCycleSettings(
  deps: { db: Db; audit: AuditLog },
  requestedBy: string,
  brief: unknown,
): Promise<{ settings: CycleSettings; policyVersion: number }> {
  const inForce = await currentGuardrailPolicy(deps.db);
  let outcome: ReturnType<typeof applyBrief>;
  try {
    outcome = applyBrief(inForce.policy, inForce.version, brief);
  } catch (err) {
    if (err instanceof z.ZodError) {
      const issue = err.issues[0]!;
      throw new InputError(`cycle settings invalid at ${issue.path.join(".") || "(root)"}: ${issue.message}`, { cause: err });
    }
    throw err;
  }
  if (!outcome.ok) {
    await deps.audit.append({
      kind: "policy",
      actor: requestedBy,
      entry: {
        event: "brief_refused",
        version: inForce.version,
        digest: inForce.digest,
        reason: "the brief would loosen the guardrail policy",
        fields: outcome.loosened,
      },
    });
    throw new PolicyLoosenedError(outcome.loosened, inForce.version);
  }
  return { settings: outcome.settings, policyVersion: inForce.version };
}

/** Sets the policy unless the one in force is already exactly this one (the demo and test worlds, run again). */
export async function ensureGuardrailPolicy(
  deps: { db: Db; audit: AuditLog; clock?: Clock },
  actor: Actor,
  input: unknown,
  reason: string,
): Promise<{ version: number; changed: boolean }> {
  const wanted = guardrailPolicySchema.parse(input);
  const inForce = await currentGuardrailPolicy(deps.db);
  if (inForce.version > 0 && inForce.digest === digestOf(wanted)) return { version: inForce.version, changed: false };
  const { version } = await setGuardrailPolicy(deps, actor, wanted, reason);
  return { version, changed: true };
}
