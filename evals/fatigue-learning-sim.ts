import { groundTruth } from "../sim/ground-truth.js";
import type { SimMessageInput } from "../sim/strategies.js";
import { World } from "../sim/world.js";
import { fatigueLearningConfigSchema, learnFatigue, type ChannelCaps } from "../tools/fatigue-learning.js";

/**
 * Fatigue learning on the simulator: two copies of one simulated retailer (same seed, so the
 * comparison is paired), each e-mailed a 10%-off promotion every week for `weeks` weeks, as many
 * e-mails a week as the segment's rolling cap allows. `fixed` keeps the policy's cap (5 a week) for
 * everyone; `learned` starts there and after each week moves every segment's cap with
 * tools/fatigue-learning.ts from that week's unsubscribes and conversions. Segments here are the
 * simulator's archetypes (as if segmentation had recovered them); only the caps are exercised, not
 * the cool-down threshold (that needs the cycle's fatigue scores).
 */

export interface FatigueLearningSimOptions {
  customers?: number;
  seed?: number;
  weeks?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface ArmResult {
  arm: "fixed" | "learned";
  messages: number;
  conversions: number;
  unsubscribes: number;
  revenue: number;
  /** conversions × response value − unsubscribes × unsubscribe cost (the learner's own objective). */
  net: number;
  /** Final e-mail cap per segment. */
  caps: Record<string, number | null>;
}

export interface FatigueLearningSimResult {
  customers: number;
  seed: number;
  weeks: number;
  policyCap: number;
  arms: ArmResult[];
  seconds: number;
}

const DAY_MS = 86_400_000;
const POLICY_CAPS: ChannelCaps = { email: 5, sms: 2, push: 2, in_app: null };
const CONFIG = fatigueLearningConfigSchema.parse({ minSends: 50 });

async function runArm(arm: ArmResult["arm"], options: Required<Omit<FatigueLearningSimOptions, "onProgress">>): Promise<ArmResult> {
  const world = await World.create({ customers: options.customers, seed: options.seed });
  const truth = groundTruth(world);
  const segmentOf = truth.archetypes();
  const caps = new Map<string, ChannelCaps>([...new Set(segmentOf.values())].map((s) => [s, { ...POLICY_CAPS }]));
  const result: ArmResult = { arm, messages: 0, conversions: 0, unsubscribes: 0, revenue: 0, net: 0, caps: {} };
  for (let week = 0; week < options.weeks; week++) {
    const start = world.now.getTime();
    const messages: SimMessageInput[] = [];
    const segmentOfMessage = new Map<string, string>();
    for (const id of world.customerIds()) {
      if (!truth.hasConsent(id, "email")) continue;
      const segment = segmentOf.get(id)!;
      const n = caps.get(segment)!.email ?? 7;
      for (let k = 0; k < n; k++) {
        const messageId = `${arm}-${week}-${k}-${id}`;
        segmentOfMessage.set(messageId, segment);
        messages.push({
          messageId,
          customerId: id,
          channel: "email",
          strategy: "targeted_promo",
          offerDepth: 0.1,
          sentAt: new Date(start + Math.floor((k * 7 * DAY_MS) / n) + 15 * 3_600_000),
          campaignId: `${arm}-${week}`,
        });
      }
    }
    const step = world.step({ to: new Date(start + 7 * DAY_MS), messages });
    const evidence = new Map<string, { sends: number; unsubscribes: number; responses: number }>();
    for (const r of step.responses) {
      const segment = segmentOfMessage.get(r.message_id);
      if (!segment) continue;
      const e = evidence.get(segment) ?? { sends: 0, unsubscribes: 0, responses: 0 };
      if (r.type === "delivered") e.sends++;
      if (r.type === "unsubscribe") e.unsubscribes++;
      if (r.type === "conversion") {
        e.responses++;
        result.revenue += r.revenue ?? 0;
      }
      evidence.set(segment, e);
    }
    for (const e of evidence.values()) {
      result.messages += e.sends;
      result.conversions += e.responses;
      result.unsubscribes += e.unsubscribes;
    }
    if (arm === "learned") {
      const out = learnFatigue({
        segments: [...evidence].map(([segmentId, e]) => ({
          segmentId,
          channels: [{ channel: "email" as const, ...e }],
          current: { cooldownThreshold: 0.7, rollingCaps: caps.get(segmentId)! },
        })),
        policyCaps: POLICY_CAPS,
        config: CONFIG,
      });
      for (const s of out.segments) caps.set(s.segmentId, s.after.rollingCaps);
    }
  }
  result.net = CONFIG.responseValue * result.conversions - CONFIG.unsubscribeCost * result.unsubscribes;
  result.caps = Object.fromEntries([...caps].map(([s, c]) => [s, c.email]));
  return result;
}

export async function evaluateFatigueLearningOnSim(options: FatigueLearningSimOptions = {}): Promise<FatigueLearningSimResult> {
  const started = performance.now();
  const o = { customers: options.customers ?? 3000, seed: options.seed ?? 7, weeks: options.weeks ?? 8 };
  const arms: ArmResult[] = [];
  for (const arm of ["fixed", "learned"] as const) {
    arms.push(await runArm(arm, o));
    options.onProgress?.(arms.length, 2);
  }
  return { ...o, policyCap: POLICY_CAPS.email!, arms, seconds: (performance.now() - started) / 1000 };
}

export function formatFatigueLearningOnSim(r: FatigueLearningSimResult): string {
  const rows = r.arms.map(
    (a) =>
      `${a.arm.padEnd(8)} ${String(a.messages).padStart(9)} ${String(a.conversions).padStart(11)} ${String(a.unsubscribes).padStart(12)} ${a.revenue.toFixed(0).padStart(10)} ${a.net.toFixed(0).padStart(9)}`,
  );
  const learned = r.arms.find((a) => a.arm === "learned");
  return [
    `Fatigue learning on the simulator (${r.customers} customers, seed ${r.seed}): weekly 10%-off e-mails for ${r.weeks} weeks, policy cap ${r.policyCap} a week`,
    "arm       messages conversions unsubscribes    revenue       net",
    ...rows,
    `learned e-mail caps per segment: ${Object.entries(learned?.caps ?? {})
      .map(([s, c]) => `${s} ${c ?? "none"}`)
      .join(", ")}`,
    `net = conversions × ${CONFIG.responseValue} − unsubscribes × ${CONFIG.unsubscribeCost}. ${r.seconds.toFixed(1)} s.`,
  ].join("\n");
}
