import { CHANNELS, type Channel } from "../ingest/formats.js";
import { DAY_MS, HOUR_MS } from "./calendar.js";
import { Rng } from "./rng.js";
import type { Strategy } from "./strategies.js";

/** A blast the simulated retailer sent before Pulse arrived. */
export interface HistoricalCampaign {
  id: string;
  channel: Channel;
  channelIndex: number;
  strategy: Strategy;
  offerDepth: number;
  sentAt: number;
  /** Share of the consented base that receives it. */
  audience: number;
  onlyIfLapsedDays?: number;
}

interface Cadence {
  code: string;
  channel: Channel;
  strategy: Strategy;
  everyDays: number;
  firstDay: number;
  hourUtc: number;
  audience: number;
  depths: readonly (readonly [number, number])[];
  onlyIfLapsedDays?: number;
}

/** A typical pre-Pulse calendar: weekly newsletter, monthly SMS promo, fortnightly push, in-app cards, periodic win-back and re-engagement. */
const CADENCES: readonly Cadence[] = [
  {
    code: "em",
    channel: "email",
    strategy: "targeted_promo",
    everyDays: 7,
    firstDay: 1,
    hourUtc: 15,
    audience: 0.55,
    depths: [
      [0, 0.65],
      [0.1, 0.15],
      [0.15, 0.12],
      [0.2, 0.08],
    ],
  },
  {
    code: "sms",
    channel: "sms",
    strategy: "targeted_promo",
    everyDays: 28,
    firstDay: 3,
    hourUtc: 17,
    audience: 0.5,
    depths: [
      [0.15, 0.5],
      [0.2, 0.5],
    ],
  },
  {
    code: "push",
    channel: "push",
    strategy: "targeted_promo",
    everyDays: 14,
    firstDay: 5,
    hourUtc: 12,
    audience: 0.6,
    depths: [
      [0, 0.7],
      [0.1, 0.3],
    ],
  },
  { code: "app", channel: "in_app", strategy: "cross_sell", everyDays: 21, firstDay: 2, hourUtc: 10, audience: 0.8, depths: [[0, 1]] },
  {
    code: "wb",
    channel: "email",
    strategy: "winback",
    everyDays: 56,
    firstDay: 40,
    hourUtc: 14,
    audience: 1,
    depths: [[0.2, 1]],
    onlyIfLapsedDays: 60,
  },
  {
    code: "re",
    channel: "email",
    strategy: "reengage",
    everyDays: 35,
    firstDay: 20,
    hourUtc: 16,
    audience: 0.8,
    depths: [
      [0, 0.5],
      [0.1, 0.5],
    ],
    onlyIfLapsedDays: 35,
  },
];

/** The blast calendar of [start, end), sorted by send time; a pure function of the seed. */
export function buildHistoricalCampaigns(seed: number, start: number, end: number): HistoricalCampaign[] {
  const rng = new Rng(seed, 0xca3, 0x5ead);
  const out: HistoricalCampaign[] = [];
  for (const cadence of CADENCES) {
    const shift = rng.int(7);
    let n = 0;
    for (let t = start + (cadence.firstDay + shift) * DAY_MS + cadence.hourUtc * HOUR_MS; t < end; t += cadence.everyDays * DAY_MS) {
      n++;
      let x = rng.next();
      let depth = cadence.depths[cadence.depths.length - 1][0];
      for (const [d, w] of cadence.depths) {
        if (x < w) {
          depth = d;
          break;
        }
        x -= w;
      }
      out.push({
        id: `hist-${cadence.code}-${String(n).padStart(3, "0")}`,
        channel: cadence.channel,
        channelIndex: CHANNELS.indexOf(cadence.channel),
        strategy: cadence.strategy,
        offerDepth: depth,
        sentAt: t,
        audience: cadence.audience,
        onlyIfLapsedDays: cadence.onlyIfLapsedDays,
      });
    }
  }
  return out.sort((a, b) => a.sentAt - b.sentAt || (a.id < b.id ? -1 : 1));
}
