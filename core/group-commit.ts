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
   * Most groups committed at once (default 1: one after the other). Items submitted while a group
   * commits still wait for it and gather into the next group; with more than one allowed, a backlog
   * of more than `maxGroup` items goes out as that many groups at once. Only for commits that may
   * overlap (the sends' transactions lock their own rows).
   */
  concurrency?: number;
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
  const concurrency = options.concurrency ?? 1;
  let active = 0;
  let gathering = false;

  async function commitGroup(group: Waiter[]): Promise<void> {
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

  function pump(): void {
    while (active < concurrency && waiting.length > 0) {
      const group = waiting.splice(0, options.maxGroup);
      active++;
      void commitGroup(group).finally(() => {
        active--;
        pump();
      });
    }
  }

  function schedule(): void {
    if (active > 0 || gathering) return;
    if (!options.gatherTurn) return pump();
    gathering = true;
    setImmediate(() => {
      gathering = false;
      pump();
    });
  }

  return {
    submit(item) {
      return new Promise<O>((resolve, reject) => {
        waiting.push({ item, resolve, reject });
        schedule();
      });
    },
  };
}
