import { AsyncLocalStorageProviderSingleton } from "@langchain/core/singletons";
import { PulseError } from "../../../core/errors.js";
import { ACTIONS } from "../actions/index.js";
import type { ChatAgentDeps, ChatCycles } from "../configuration.js";
import type { ChatStateType, ChatStateUpdate } from "../state.js";

/** Carries out the request through Pulse's services; a service's refusal becomes the answer. */
export async function actNode(state: ChatStateType, deps: ChatAgentDeps, cycles: () => Promise<ChatCycles>): Promise<ChatStateUpdate> {
  const { intent, params } = state.understood!;
  try {
    // Actions run cycles on their own graphs: detached from this graph's run context, so a cycle
    // that waits for approval interrupts its own graph, not the conversation's.
    const outcome = await AsyncLocalStorageProviderSingleton.getInstance().run(undefined, () =>
      ACTIONS[intent]({
        deps,
        cycles,
        input: state.input,
        params,
        ...(state.cycleId ? { threadCycleId: state.cycleId } : {}),
        now: new Date(state.input.at),
      }),
    );
    return { outcome, ...(outcome.cycleId ? { cycleId: outcome.cycleId } : {}) };
  } catch (err) {
    // Pulse's own errors (not found, not waiting, invalid decision) are answers; others are failures.
    const message = err instanceof PulseError ? err.message : `something went wrong: ${(err as Error).message}`;
    return { outcome: { outcome: err instanceof PulseError ? "refused" : "failed", reply: { text: `I could not do that: ${message}` } } };
  }
}
