import { describe, expect, it } from "vitest";
import { jobIdPartSchema } from "../jobs/types.js";
import {
  campaignIdOf,
  cycleIdForJob,
  dedupeKeyOf,
  experimentIdOf,
  jobIds,
  messageIdOf,
  newCycleId,
  offerCodeOf,
  segmentRunId,
  evidenceRunIdOf,
} from "./ids.js";

describe("cycle ids", () => {
  it("derive the ids of a cycle's rows from the cycle id", () => {
    expect(campaignIdOf("c1", "s3", "winback", "email")).toBe("c1.s3.winback.email");
    expect(segmentRunId("c1")).toBe("c1.segments");
    expect(evidenceRunIdOf("c1", "winback")).toBe("c1.evidence.winback");
    expect(experimentIdOf("c1")).toBe("c1.exp");
  });

  it("give one message id per dedupe key, the same on every call, without the customer id in it", () => {
    const key = dedupeKeyOf("c1", "c1.s3.winback.email", "cust-42", "email");
    expect(key).toBe("c1|c1.s3.winback.email|cust-42|email");
    const id = messageIdOf(key);
    expect(id).toMatch(/^m-[0-9a-f]{24}$/);
    expect(messageIdOf(key)).toBe(id);
    expect(id).not.toContain("cust-42");
    expect(messageIdOf(dedupeKeyOf("c1", "c1.s3.winback.email", "cust-42", "sms"))).not.toBe(id);
  });

  it("give each message its own offer code", () => {
    const a = offerCodeOf(messageIdOf("a"));
    const b = offerCodeOf(messageIdOf("b"));
    expect(a).toMatch(/^P[0-9A-F]{8}$/);
    expect(a).not.toBe(b);
    expect(offerCodeOf(messageIdOf("a"))).toBe(a);
  });

  it("give each new cycle an id of its start date and a random suffix", () => {
    const at = new Date("2026-03-02T10:00:00Z");
    expect(newCycleId(at)).toMatch(/^c-20260302-[0-9a-f]{6}$/);
    expect(newCycleId(at)).not.toBe(newCycleId(at));
  });

  it("map one job id to one cycle id, so a retried tick finds its cycle", () => {
    expect(cycleIdForJob("repeat:tick:1")).toBe(cycleIdForJob("repeat:tick:1"));
    expect(cycleIdForJob("repeat:tick:1")).not.toBe(cycleIdForJob("repeat:tick:2"));
    expect(cycleIdForJob("repeat:tick:1")).toMatch(/^c-job-[0-9a-f]{12}$/);
  });

  it("make job ids that the job schemas accept and that tell work apart", () => {
    const ids = [
      jobIds.activation("c1", 0, 2),
      jobIds.activation("c1", 1, 2),
      jobIds.dueActivation("c1", 0, 2, new Date(1_000)),
      jobIds.dueActivation("c1", 0, 2, new Date(2_000)),
      jobIds.send(messageIdOf("k")),
      jobIds.measure("c1"),
    ];
    for (const id of ids) expect(jobIdPartSchema.safeParse(id).success).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
