/**
 * Group commit: callers submit one item each; items submitted while a group is being committed go
 * out together in the next group, in submission order, so many concurrent callers cost one commit
 * per group, not one each. The audit log's appends and the cycle's sends both use it.
 */

/** What one item of a group came to: its value, or the error that fails only that item. */
export type ItemOutcome<O> = { ok: true; value: O } | { ok: false; error: unknown };

export interface GroupCommitOptions<I, O> {
  /** Most items one commit covers; the rest wait for the next group. */
  maxGroup: number;
  /**
   * Wait one event-loop turn before the first group, so that the items submitted in the same turn
   * (jobs a runner started together) join it instead of the first one going out alone.
   */
  gatherTurn?: boolean;
  /**
   * Commits one group and says, item by item and in the same order, what each came to. A commit
   * that throws fails every item of its group with that error; later groups still run.
   */
  commit(items: readonly I[]): Promise<readonly ItemOutcome<O>[]>;
}

export interface GroupCommit<I, O> {
  submit(item: I): Promise<O>;
}

export function createGroupCommit<I, O>(options: GroupCommitOptions<I, O>): GroupCommit<I, O> {
  if (!Number.isInteger(options.maxGroup) || options.maxGroup < 1) throw new RangeError("maxGroup must be a positive integer");
  type Waiter = { item: I; resolve: (value: O) => void; reject: (error: unknown) => void };
  const waiting: Waiter[] = [];
  let draining = false;

  async function drain(): Promise<void> {
    draining = true;
    try {
      if (options.gatherTurn) await new Promise<void>((resolve) => setImmediate(resolve));
      while (waiting.length > 0) {
        const group = waiting.splice(0, options.maxGroup);
        try {
          const outcomes = await options.commit(group.map((w) => w.item));
          group.forEach((w, i) => {
            const o = outcomes[i];
            if (!o) w.reject(new Error(`group commit gave ${outcomes.length} outcomes for ${group.length} items`));
            else if (o.ok) w.resolve(o.value);
            else w.reject(o.error);
          });
        } catch (error) {
          for (const w of group) w.reject(error);
        }
      }
    } finally {
      draining = false;
    }
  }

  return {
    submit(item) {
      return new Promise<O>((resolve, reject) => {
        waiting.push({ item, resolve, reject });
        if (!draining) void drain();
      });
    },
  };
}
