import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InputError } from "../core/errors.js";
import { FORMATS, type Channel } from "../ingest/formats.js";
import { DAY_MS } from "./calendar.js";
import { groundTruth } from "./ground-truth.js";
import { hash32, hashString } from "./rng.js";
import { STEP_FILE_KINDS, writeStepFiles } from "./step-files.js";
import type { SimMessageInput, Strategy } from "./strategies.js";
import { cleanup, readCsv, tempDir } from "./test-helpers.js";
import { World, type StepResult } from "./world.js";

const dirs: string[] = [];
afterAll(() => dirs.forEach(cleanup));

/** A fixed, order-independent half split of customers. */
const inTreatment = (customerId: string) => hash32(hashString(customerId), 99) % 2 === 0;

function message(
  world: World,
  customerId: string,
  channel: Channel,
  strategy: Strategy,
  offerDepth: number,
  n = 0,
  at?: Date,
): SimMessageInput {
  return {
    messageId: `t-${customerId}-${channel}-${n}`,
    customerId,
    channel,
    strategy,
    offerDepth,
    sentAt: at ?? world.now,
    campaignId: "test",
  };
}

function buyers(result: StepResult): Set<string> {
  return new Set(result.orders.map((o) => o.customer_id));
}

/** Treated-minus-control purchase rate within the step, with its standard error. */
function uplift(treated: string[], control: string[], bought: Set<string>) {
  const pT = treated.filter((id) => bought.has(id)).length / treated.length;
  const pC = control.filter((id) => bought.has(id)).length / control.length;
  const se = Math.sqrt((pT * (1 - pT)) / treated.length + (pC * (1 - pC)) / control.length);
  return { pT, pC, diff: pT - pC, se };
}

describe("World.step uplift", () => {
  it("gives discount-sensitive customers a real, known uplift that matches the ground truth", async () => {
    const world = await World.create({ customers: 5000, seed: 31, archetypeMix: { coupon_floater: 1 } });
    const truth = groundTruth(world);
    const eligible = world.customerIds().filter((id) => truth.hasConsent(id, "email"));
    const treated = eligible.filter(inTreatment);
    const control = eligible.filter((id) => !inTreatment(id));
    const expected =
      treated.reduce(
        (s, id) => s + truth.expectedEffect({ customerId: id, strategy: "targeted_promo", channel: "email", offerDepth: 0.2 }),
        0,
      ) / treated.length;
    const result = world.step({
      to: new Date(world.now.getTime() + 7 * DAY_MS),
      messages: treated.map((id) => message(world, id, "email", "targeted_promo", 0.2)),
    });
    const u = uplift(treated, control, buyers(result));
    expect(expected).toBeGreaterThan(0.08);
    expect(u.diff).toBeGreaterThan(0.05);
    expect(Math.abs(u.diff - expected)).toBeLessThan(4 * u.se);
    // Converting customers used the offer: discounted lines at 20% of list.
    const discounted = result.orders.filter((o) => o.discount > 0 && Math.abs(o.discount - 0.2 * o.unit_price * o.quantity) < 0.011);
    expect(discounted.length).toBeGreaterThan(0);
    expect(result.responses.some((r) => r.type === "conversion" && (r.revenue ?? 0) > 0)).toBe(true);
  });

  it("harms sleeping dogs: contact lowers their purchase probability", async () => {
    const world = await World.create({ customers: 10000, seed: 32, archetypeMix: { premium_loyalist: 0.5, high_margin_infrequent: 0.5 } });
    const truth = groundTruth(world);
    const dogs = world.customerIds().filter((id) => truth.isSleepingDog(id) && truth.hasConsent(id, "email"));
    expect(dogs.length).toBeGreaterThan(500);
    // Every sleeping dog is harmed, except where the e-mail address bounces (then nothing happens).
    const notHarmed = dogs.filter((id) => {
      const e = truth.effect({ customerId: id, strategy: "targeted_promo", channel: "email", offerDepth: 0.1 });
      return e.bounce < 1 && !(e.effect < 0 && e.treated < e.baseline);
    });
    expect(notHarmed).toEqual([]);
    // (skipping the ~1.5% whose e-mail address bounces: a bounced message has no effect at all)
    const persuadable = world
      .customerIds()
      .find(
        (id) =>
          !truth.isSleepingDog(id) &&
          truth.hasConsent(id, "email") &&
          truth.archetype(id) === "premium_loyalist" &&
          truth.effect({ customerId: id, strategy: "cross_sell", channel: "email", offerDepth: 0 }).bounce < 1,
      )!;
    expect(truth.expectedEffect({ customerId: persuadable, strategy: "cross_sell", channel: "email", offerDepth: 0 })).toBeGreaterThan(0);

    const treated = dogs.filter(inTreatment);
    const control = dogs.filter((id) => !inTreatment(id));
    const expected =
      treated.reduce(
        (s, id) => s + truth.expectedEffect({ customerId: id, strategy: "targeted_promo", channel: "email", offerDepth: 0.1 }),
        0,
      ) / treated.length;
    const result = world.step({
      to: new Date(world.now.getTime() + 7 * DAY_MS),
      messages: treated.map((id) => message(world, id, "email", "targeted_promo", 0.1)),
    });
    const u = uplift(treated, control, buyers(result));
    expect(expected).toBeLessThan(-0.02);
    expect(u.diff).toBeLessThan(0);
    expect(Math.abs(u.diff - expected)).toBeLessThan(4 * u.se);
  });
});

describe("World.step state", () => {
  it("stops all engagement on a channel after an unsubscribe, and revokes consent", async () => {
    const world = await World.create({ customers: 1500, seed: 33 });
    const truth = groundTruth(world);
    const ids = world.customerIds();
    const results: StepResult[] = [];
    for (let week = 0; week < 2; week++) {
      const start = world.now.getTime();
      const messages: SimMessageInput[] = [];
      for (let d = 0; d < 7; d++) {
        const at = new Date(start + d * DAY_MS + 15 * 3_600_000);
        for (const id of ids)
          for (const ch of ["email", "sms", "push"] as const)
            messages.push(message(world, id, ch, "targeted_promo", 0.1, week * 7 + d, at));
      }
      results.push(world.step({ to: new Date(start + 7 * DAY_MS), messages }));
    }
    const responses = results.flatMap((r) => r.responses);
    const unsubAt = new Map<string, number>();
    for (const r of responses) if (r.type === "unsubscribe") unsubAt.set(`${r.customer_id}|${r.channel}`, r.occurred_at.getTime());
    expect(unsubAt.size).toBeGreaterThan(100);

    const engagedAfter = responses.filter((r) => {
      const u = unsubAt.get(`${r.customer_id}|${r.channel}`);
      return u !== undefined && r.occurred_at.getTime() > u && ["open", "click", "conversion", "unsubscribe"].includes(r.type);
    });
    expect(engagedAfter).toEqual([]);

    const revocations = new Set(results.flatMap((r) => r.consents).map((c) => `${c.customer_id}|${c.channel}|${c.recorded_at.getTime()}`));
    for (const [key, at] of unsubAt) expect(revocations.has(`${key}|${at}`)).toBe(true);
    for (const key of unsubAt.keys()) {
      const [id, channel] = key.split("|");
      expect(truth.hasConsent(id, channel as Channel)).toBe(false);
    }
    // Later messages on an unsubscribed channel are refused for lack of consent and never delivered.
    const secondWeek = results[1];
    const refused = new Set(secondWeek.undelivered.filter((u) => u.reason === "no_consent").map((u) => u.messageId));
    const deliveredLate = secondWeek.responses.filter((r) => {
      const u = unsubAt.get(`${r.customer_id}|${r.channel}`);
      return r.type === "delivered" && u !== undefined && r.occurred_at.getTime() > u + 120_000;
    });
    expect(deliveredLate).toEqual([]);
    expect(refused.size).toBeGreaterThan(0);
  });

  it("raises fatigue with exposures, lets it decay, and fatigue shrinks a persuadable customer's response", async () => {
    const world = await World.create({ customers: 800, seed: 34, archetypeMix: { new_customer: 0.5, coupon_floater: 0.5 } });
    const truth = groundTruth(world);
    const query = (id: string) => ({ customerId: id, strategy: "targeted_promo" as const, channel: "email" as const, offerDepth: 0.15 });
    const id = world
      .customerIds()
      .find((c) => truth.hasConsent(c, "email") && !truth.isSleepingDog(c) && truth.expectedEffect(query(c)) > 0.02)!;
    expect(id).toBeDefined();
    const before = truth.customer(id).fatigue;
    const effectBefore = truth.expectedEffect(query(id));
    const start = world.now.getTime();
    const messages = [0, 1, 2, 3, 4].map((d) => message(world, id, "email", "targeted_promo", 0, d, new Date(start + d * DAY_MS)));
    const r = world.step({ to: new Date(start + 5 * DAY_MS), messages });
    expect(r.responses.filter((x) => x.customer_id === id && x.type === "delivered").length).toBeGreaterThan(0);
    const tired = truth.customer(id).fatigue;
    expect(tired).toBeGreaterThan(before + 2);
    if (truth.hasConsent(id, "email")) expect(truth.expectedEffect(query(id))).toBeLessThan(effectBefore);
    world.step({ to: new Date(start + 33 * DAY_MS) });
    expect(truth.customer(id).fatigue).toBeLessThan(tired / 4);
  });

  it("keeps the baseline purchase process running for customers who get no message", async () => {
    const world = await World.create({ customers: 1000, seed: 35 });
    const r = world.step({ to: new Date(world.now.getTime() + 14 * DAY_MS) });
    expect(r.orders.length).toBeGreaterThan(50);
    expect(r.events.length).toBeGreaterThan(50);
    // Only the tail of history's messages (late opens, conversions in open windows); nothing new is sent.
    expect(r.responses.every((x) => x.campaign_id?.startsWith("hist-") && x.type !== "delivered")).toBe(true);
    const lo = r.from.getTime();
    const hi = r.to.getTime();
    expect(r.orders.every((o) => o.ordered_at.getTime() >= lo && o.ordered_at.getTime() < hi)).toBe(true);
    expect(r.events.every((e) => e.occurred_at.getTime() >= lo && e.occurred_at.getTime() < hi)).toBe(true);
  });
});

describe("World.step determinism and input", () => {
  const plan = (world: World) => {
    const truth = groundTruth(world);
    return world
      .customerIds()
      .filter((id) => truth.hasConsent(id, "email"))
      .slice(0, 400)
      .map((id, i) =>
        message(
          world,
          id,
          "email",
          i % 2 ? "winback" : "targeted_promo",
          i % 3 ? 0.15 : 0,
          0,
          new Date(world.now.getTime() + (i % 5) * 3_600_000),
        ),
      );
  };

  it("is deterministic given seed and inputs, whatever the message order, and reloads identically", async () => {
    const a = await World.create({ customers: 1200, seed: 36 });
    const b = await World.create({ customers: 1200, seed: 36 });
    const c = await World.create({ customers: 1200, seed: 37 });
    const to = new Date(a.now.getTime() + 7 * DAY_MS);
    const ra = a.step({ to, messages: plan(a) });
    const rb = b.step({ to, messages: [...plan(b)].reverse() });
    expect(rb).toEqual(ra);
    const rc = c.step({ to, messages: plan(c) });
    expect(rc.orders).not.toEqual(ra.orders);
    // The next step also agrees: state advanced the same way.
    const to2 = new Date(to.getTime() + 7 * DAY_MS);
    expect(b.step({ to: to2 })).toEqual(a.step({ to: to2 }));
  });

  it("validates periods and reports undeliverable messages", async () => {
    const world = await World.create({ customers: 300, seed: 38 });
    const now = world.now.getTime();
    expect(() => world.step({ from: new Date(now + DAY_MS), to: new Date(now + 2 * DAY_MS) })).toThrow(InputError);
    expect(() => world.step({ to: new Date(now) })).toThrow(InputError);
    const truth = groundTruth(world);
    const id = world.customerIds().find((c) => truth.hasConsent(c, "email"))!;
    const r = world.step({
      to: new Date(now + DAY_MS),
      messages: [
        { messageId: "ok-1", customerId: id, channel: "email", strategy: "reengage", offerDepth: 0, sentAt: new Date(now) },
        { messageId: "ok-1", customerId: id, channel: "email", strategy: "reengage", offerDepth: 0, sentAt: new Date(now) },
        { messageId: "cool", customerId: id, channel: "email", strategy: "cooldown", offerDepth: 0, sentAt: new Date(now) },
        { messageId: "who", customerId: "C999999", channel: "email", strategy: "reengage", offerDepth: 0, sentAt: new Date(now) },
        { messageId: "late", customerId: id, channel: "email", strategy: "reengage", offerDepth: 0, sentAt: new Date(now + 2 * DAY_MS) },
      ],
    });
    const reasons = Object.fromEntries(r.undelivered.map((u) => [u.messageId, u.reason]));
    expect(reasons).toEqual({ "ok-1": "duplicate_message_id", cool: "no_send", who: "unknown_customer", late: "outside_period" });
    expect(r.responses.filter((x) => x.message_id === "cool")).toEqual([]);
    const r2 = world.step({
      to: new Date(now + 2 * DAY_MS),
      messages: [
        { messageId: "ok-1", customerId: id, channel: "email", strategy: "reengage", offerDepth: 0, sentAt: new Date(now + DAY_MS) },
      ],
    });
    expect(r2.undelivered).toEqual([{ messageId: "ok-1", customerId: id, reason: "duplicate_message_id" }]);
  });

  it("writes step output as ingestion files that pass the schemas", async () => {
    const world = await World.create({ customers: 1500, seed: 39 });
    const truth = groundTruth(world);
    const messages = world
      .customerIds()
      .filter((id) => truth.hasConsent(id, "sms"))
      .map((id, i) => ({ ...message(world, id, "sms", "targeted_promo", 0.3, i), campaignId: 'promo "winter", 30%' }));
    const result = world.step({ to: new Date(world.now.getTime() + 7 * DAY_MS), messages });
    const dir = tempDir("step");
    dirs.push(dir);
    const written = await writeStepFiles(result, dir);
    for (const kind of STEP_FILE_KINDS) {
      const { header, rows } = readCsv(join(dir, `${kind}.csv`));
      expect(header).toEqual([...FORMATS[kind].columns]);
      expect(rows.length).toBe(result[kind].length);
      expect(written.rowCounts[kind]).toBe(rows.length);
      const bad = rows.filter((row) => !FORMATS[kind].schema.safeParse(row).success);
      expect(bad).toEqual([]);
    }
    const responses = readCsv(join(dir, "responses.csv")).rows.filter((r) => r.message_id.startsWith("t-"));
    expect(responses.length).toBeGreaterThan(0);
    expect(responses.every((r) => r.campaign_id === 'promo "winter", 30%')).toBe(true);
  });
});
