import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NEEDS_APPROVAL, nextCycleAsOf, startHttpWorld, type HttpWorld } from "./testing/http-world.js";

/** Debian's Chromium, driven by playwright-core (no downloaded browsers). */
const CHROMIUM = "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

let w: HttpWorld;
let browser: Browser;
let shots: string;
let pendingCycle: string;

async function signIn(token: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
  const page = await context.newPage();
  await page.goto(`${w.url}/`);
  expect(new URL(page.url()).pathname).toBe("/login");
  await page.fill("input[name=token]", token);
  await Promise.all([page.waitForURL(/\/segments/), page.click("#sign-in")]);
  return page;
}

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(shots, `${name}.png`) });

beforeAll(async () => {
  w = await startHttpWorld({ customers: 1_500, seed: 5 });
  shots = await mkdtemp(path.join(tmpdir(), "pulse-dashboard-shots-"));
  // Ann (an admin) asks for a cycle whose plan waits for a person.
  const res = await fetch(`${w.url}/api/cycles`, {
    method: "POST",
    headers: { authorization: `Bearer ${w.tokens.ann}`, "content-type": "application/json" },
    body: JSON.stringify({ asOf: nextCycleAsOf(w.demo), settings: NEEDS_APPROVAL }),
  });
  expect(res.status).toBe(201);
  pendingCycle = ((await res.json()) as { cycleId: string }).cycleId;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}, 300_000);
afterAll(async () => {
  await browser?.close();
  await w?.close();
}, 60_000);

describe("the dashboard in headless Chromium", () => {
  it("refuses a bad token and sends visitors without a session to sign in", async () => {
    const page = await browser.newPage();
    await page.goto(`${w.url}/plan`);
    expect(new URL(page.url()).pathname).toBe("/login");
    await page.fill("input[name=token]", w.revoked);
    await page.click("#sign-in");
    await expect.poll(() => page.textContent("#login-error")).toContain("Unknown or revoked token");
    await page.close();
  });

  it("signs in with a token (httpOnly, SameSite cookie) and shows the segments with their Sankey", async () => {
    const page = await signIn(w.tokens.mia);
    const cookie = (await page.context().cookies()).find((c) => c.name === "pulse_session")!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict" });
    expect(await page.textContent("header")).toContain("mia");
    const rows = await page.locator("#profiles tr").count();
    expect(rows - 1).toBe((await w.cycles.service.get(pendingCycle)).state.refresh!.segments.length);
    // The Sankey is ECharts' SVG, with one node label per segment before and after.
    const sankey = page.locator("#sankey svg");
    expect(await sankey.count()).toBe(1);
    const labels = await sankey.locator("text").allTextContents();
    expect(labels.some((t) => t.startsWith("before: "))).toBe(true);
    expect(labels.some((t) => t.startsWith("now: "))).toBe(true);
    await sankey.scrollIntoViewIfNeeded();
    await shot(page, "segments");
    for (const p of ["results", "fatigue", "models"]) {
      await page.goto(`${w.url}/${p}`);
      expect(await page.locator("figure.chart svg").count(), p).toBeGreaterThan(0);
      await shot(page, p);
    }
    await page.goto(`${w.url}/audit`);
    expect(await page.textContent("#forbidden")).toContain("may not audit");
    await page.context().close();
  });

  it("shows a marketer the pending plan without the forms, and refuses a forged post", async () => {
    const page = await signIn(w.tokens.mia);
    await page.goto(`${w.url}/plan`);
    expect(await page.textContent("#status")).toBe("awaiting_approval");
    expect(await page.locator("#decide").count()).toBe(0);
    expect(await page.textContent("main")).toContain("cannot approve or reject");
    // Posting the form anyway, from this session: refused for the role, nothing recorded.
    const res = await page.request.post(`${w.url}/plan/${pendingCycle}/decide`, { form: { csrf: "x", decision: "approved" } });
    expect(res.status()).toBe(403);
    expect((await w.cycles.service.get(pendingCycle)).state.status).toBe("awaiting_approval");
    await page.context().close();
  });

  it("refuses the requester, even as an admin who may decide other plans", async () => {
    const page = await signIn(w.tokens.ann);
    await page.goto(`${w.url}/plan?cycle=${pendingCycle}`);
    await page.click("#approve");
    await expect.poll(() => page.textContent("#message")).toContain("requested this plan");
    expect(await page.textContent("#status")).toBe("awaiting_approval");
    await shot(page, "plan-refused");
    await page.context().close();
  });

  it("lets an approver approve the pending plan; the cycle goes on", async () => {
    const page = await signIn(w.tokens.bob);
    await page.goto(`${w.url}/plan`);
    expect(await page.locator("#pending li").allTextContents()).toEqual([expect.stringContaining(pendingCycle)]);
    expect(await page.locator("#plan tr").count()).toBeGreaterThan(1);
    await shot(page, "plan");
    // A form whose CSRF token was tampered with is refused.
    await page.evaluate("document.querySelectorAll('input[name=csrf]').forEach((i) => { i.value = 'forged'; })");
    await page.click("#approve");
    await expect.poll(() => page.textContent("#message")).toContain("CSRF");
    expect((await w.cycles.service.get(pendingCycle)).state.status).toBe("awaiting_approval");

    await page.goto(`${w.url}/plan?cycle=${pendingCycle}`);
    await page.fill("#decide form:first-child textarea", "fine by me");
    await Promise.all([page.waitForURL(/done=approved/), page.click("#approve")]);
    expect(await page.textContent("#message")).toContain("Plan approved");
    expect(["activated", "measured", "done"]).toContain(await page.textContent("#status"));
    expect(await page.textContent("#decision")).toContain("approved by token:bob: fine by me");
    expect(await page.textContent("#activation")).toMatch(/treated/);
    const { state } = await w.cycles.service.get(pendingCycle);
    expect(state.approval).toMatchObject({ decision: "approved", by: "token:bob" });
    await page.context().close();
  });

  it("shows compliance the chain status and a customer's why", async () => {
    const page = await signIn(w.tokens.cora);
    await page.goto(`${w.url}/audit?customer=${w.demo.examples.sent}&cycle=${w.demo.cycleId}`);
    expect(await page.textContent("#verify")).toContain("Chain verified: OK");
    expect(await page.textContent("#why")).toContain(w.demo.examples.sent!);
    await shot(page, "audit");
    await page.context().close();
  });
});
