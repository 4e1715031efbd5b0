import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import { groundTruth } from "../sim/ground-truth.js";
import { World } from "../sim/world.js";
import { banditPolicy, chooseArm } from "../tools/bandit.js";
import { offPolicyEstimates, type OpeEstimate, type OpeLog } from "../tools/ope.js";

/**
 * Off-policy evaluation against the simulator's ground truth. A logging policy (the bandit, over
 * channel × offer depth for a targeted promo) chooses each customer's action and records its
 * propensity; the outcome is drawn from the simulator's true purchase probability for that action.
 * From those logs alone, IPW, SNIPW and DR estimate what alternative policies would earn per
 * customer; the truth is the same customers' expected reward under each policy, from ground truth.
 *
 * Reward per customer: purchased × (margin − depth × basket) − message cost.
 */

const CHANNELS = ["email", "sms", "push"] as const;
const DEPTHS = [0.05, 0.1, 0.15, 0.2] as const;
const COST: Record<(typeof CHANNELS)[number], number> = { email: 0.01, sms: 0.05, push: 0.005 };
const MARGIN = 30;
const BASKET = 80;

interface Action {
  id: string;
  channel: (typeof CHANNELS)[number];
  depth: number;
}
const ACTIONS: Action[] = CHANNELS.flatMap((channel) => DEPTHS.map((depth) => ({ id: `${channel}@${depth}`, channel, depth })));
const value = (a: Action, purchaseProbability: number) => purchaseProbability * (MARGIN - a.depth * BASKET) - COST[a.channel];

export interface OpeSimOptions {
  customers?: number;
  seed?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface OpePolicyResult {
  policy: string;
  truth: number;
  estimates: (OpeEstimate & { covers: boolean })[];
}

export interface OpeSimResult {
  customers: number;
  seed: number;
  loggingValue: { truth: number; observed: number };
  policies: OpePolicyResult[];
  seconds: number;
}

/** Target policies as maps from the logging policy's action distribution to theirs. */
const targets: { name: string; map: (a: Action) => Action }[] = [
  {
    name: "5% less discount",
    map: (a) => ACTIONS.find((b) => b.channel === a.channel && b.depth === Math.max(0.05, +(a.depth - 0.05).toFixed(2)))!,
  },
  { name: "email only", map: (a) => ACTIONS.find((b) => b.channel === "email" && b.depth === a.depth)! },
  { name: "push at 10%", map: () => ACTIONS.find((b) => b.channel === "push" && b.depth === 0.1)! },
];

export async function evaluateOpeOnSim(options: OpeSimOptions = {}): Promise<OpeSimResult> {
  const started = performance.now();
  const customers = options.customers ?? 5000;
  const seed = options.seed ?? 7;
  const world = await World.create({ customers, seed }, { onProgress: options.onProgress });
  const gt = groundTruth(world);
  const ids = world.customerIds();
  const at = world.now;

  // True expected reward of every action for every customer.
  const truth = ids.map((customerId) =>
    ACTIONS.map((a) => {
      const e = gt.effect({ customerId, strategy: "targeted_promo", channel: a.channel, offerDepth: a.depth, at });
      return value(a, e.baseline + e.effect);
    }),
  );

  // The logging policy: the bandit over a small pilot's evidence (one simulated pilot wave per arm).
  const rng = xoroshiro128plus(seed * 7919 + 1);
  const pilot = ACTIONS.map((a, k) => {
    let successes = 0;
    for (let i = 0; i < 300; i++) {
      const c = Math.floor(uniformFloat64(rng) * ids.length);
      const e = gt.effect({ customerId: ids[c], strategy: "targeted_promo", channel: a.channel, offerDepth: a.depth, at });
      if (uniformFloat64(rng) < e.baseline + e.effect) successes++;
    }
    return { armId: ACTIONS[k].id, successes, failures: 300 - successes };
  });
  const policy = banditPolicy({ arms: pilot, options: { maxExplore: 0.6, minPropensity: 0.04 } });
  const mu = new Map(policy.propensities.map((p) => [p.armId, p.propensity]));

  const logs = ids.map((customerId, i) => {
    const choice = chooseArm(policy, `ope-${seed}`, customerId);
    const k = ACTIONS.findIndex((a) => a.id === choice.armId);
    const e = gt.effect({ customerId, strategy: "targeted_promo", channel: ACTIONS[k].channel, offerDepth: ACTIONS[k].depth, at });
    const purchased = uniformFloat64(rng) < e.baseline + e.effect ? 1 : 0;
    return { i, k, propensity: choice.propensity, reward: purchased * (MARGIN - ACTIONS[k].depth * BASKET) - COST[ACTIONS[k].channel] };
  });

  // Reward model for DR: each action's mean logged reward (no features: deliberately crude).
  const qHat = ACTIONS.map((_, k) => {
    const mine = logs.filter((l) => l.k === k);
    return mine.length === 0 ? 0 : mine.reduce((s, l) => s + l.reward, 0) / mine.length;
  });

  const policies = targets.map((t) => {
    const pi = new Array<number>(ACTIONS.length).fill(0);
    for (const a of ACTIONS) pi[ACTIONS.indexOf(t.map(a))] += mu.get(a.id)!;
    const qPi = pi.reduce((s, p, k) => s + p * qHat[k], 0);
    const opeLogs: OpeLog[] = logs.map((l) => ({
      propensity: l.propensity,
      reward: l.reward,
      targetProbability: Math.min(1, pi[l.k]),
      predictedLogged: qHat[l.k],
      predictedTarget: qPi,
    }));
    const trueValue = truth.reduce((s, row) => s + row.reduce((a, v, k) => a + pi[k] * v, 0), 0) / ids.length;
    return {
      policy: t.name,
      truth: trueValue,
      estimates: offPolicyEstimates(opeLogs).map((e) => ({ ...e, covers: e.low <= trueValue && trueValue <= e.high })),
    };
  });
  const loggingTruth = truth.reduce((s, row) => s + row.reduce((a, v, k) => a + mu.get(ACTIONS[k].id)! * v, 0), 0) / ids.length;
  return {
    customers,
    seed,
    loggingValue: { truth: loggingTruth, observed: logs.reduce((s, l) => s + l.reward, 0) / logs.length },
    policies,
    seconds: (performance.now() - started) / 1000,
  };
}

export function formatOpeOnSim(r: OpeSimResult): string {
  const f = (v: number) => v.toFixed(3).padStart(8);
  const lines = [
    `Off-policy evaluation on the simulator: ${r.customers} customers, seed ${r.seed}; reward = purchase × (margin − discount) − message cost, per customer`,
    `logging policy (bandit over channel × depth): observed ${r.loggingValue.observed.toFixed(3)}, true ${r.loggingValue.truth.toFixed(3)}`,
    "",
    `${"target policy".padEnd(20)}${"truth".padStart(8)}${"estimator".padStart(11)}${"estimate".padStart(9)}${"95% interval".padStart(22)}${"ESS".padStart(8)}  covers`,
  ];
  for (const p of r.policies)
    for (const e of p.estimates)
      lines.push(
        `${p.policy.padEnd(20)}${f(p.truth)}${e.estimator.padStart(11)} ${f(e.value)}   [${e.low.toFixed(3)}, ${e.high.toFixed(3)}]`.padEnd(
          78,
        ) + `${Math.round(e.effectiveSampleSize).toString().padStart(8)}  ${e.covers ? "yes" : "no"}`,
      );
  const covered = r.policies.filter((p) => p.estimates.every((e) => e.covers)).length;
  lines.push("", `policies whose every estimate covers the truth: ${covered} of ${r.policies.length}; ${r.seconds.toFixed(1)} s`);
  return lines.join("\n");
}
