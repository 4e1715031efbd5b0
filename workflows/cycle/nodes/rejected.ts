import { setCycleStatus } from "../../../store/cycles-repo.js";
import type { CycleDeps } from "../deps.js";
import type { CycleState } from "../state.js";

/** A rejected plan: nothing is sent; the decision itself was recorded (and audited) by the approver's command. */
export async function rejectedNode(state: CycleState, deps: CycleDeps): Promise<Partial<CycleState>> {
  await setCycleStatus(deps.db, state.cycleId, "rejected", { summary: { rejectedBy: state.approval?.by, reason: state.approval?.reason } });
  await deps.audit.append({
    kind: "cycle",
    actor: deps.actor,
    cycleId: state.cycleId,
    entry: {
      event: "finished",
      status: "rejected",
      summary: { rejectedBy: state.approval?.by ?? null, reason: state.approval?.reason ?? null },
    },
  });
  return { status: "rejected" };
}
