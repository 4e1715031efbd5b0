import type { Clock } from "../core/clock.js";
import type { AuditLog } from "../guardrails/audit.js";
import { currentGuardrailPolicy } from "../guardrails/guardrail-policy-store.js";
import type { Db } from "../store/db.js";
import { pruneRetained, type PruneCounts } from "../store/retention-repo.js";

const DAY_MS = 86_400_000;

export interface PruneReport {
  dryRun: boolean;
  policyVersion: number;
  /** Messages created before this were pruned (unless still queued). */
  messagesBefore: string;
  counts: PruneCounts;
}

/**
 * Prunes by the guardrail policy's retention: the checkpoint history of every cycle that has ended
 * (its latest checkpoint stays), and messages older than retention.messageDays. The audit log is
 * never pruned; a real run is recorded in it, with who ran it and what was removed.
 */
export async function pruneByPolicy(
  deps: { db: Db; audit: AuditLog; clock: Clock },
  actor: string,
  options: { dryRun?: boolean } = {},
): Promise<PruneReport> {
  const inForce = await currentGuardrailPolicy(deps.db);
  const now = deps.clock.now();
  const messagesBefore = new Date(now.getTime() - inForce.policy.retention.messageDays * DAY_MS);
  const dryRun = options.dryRun ?? false;
  const counts = await pruneRetained(deps.db, { messagesBefore, cyclesEndedBefore: now, dryRun });
  if (!dryRun) {
    await deps.audit.append({
      kind: "policy",
      actor,
      entry: {
        event: "pruned",
        version: inForce.version,
        digest: inForce.digest,
        reason: `retention: checkpoints of ended cycles, messages older than ${inForce.policy.retention.messageDays} days`,
        counts: { ...counts },
        before: messagesBefore.toISOString(),
      },
    });
  }
  return { dryRun, policyVersion: inForce.version, messagesBefore: messagesBefore.toISOString(), counts };
}
