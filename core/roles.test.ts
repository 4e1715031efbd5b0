import { describe, expect, it } from "vitest";
import { ACTIONS, ROLES, can } from "./roles.js";

describe("roles", () => {
  it("only approvers and admins decide on plans", () => {
    expect(ROLES.filter((r) => can(r, "decide"))).toEqual(["approver", "admin"]);
  });
  it("only compliance and admins read the audit log", () => {
    expect(ROLES.filter((r) => can(r, "audit"))).toEqual(["compliance", "admin"]);
  });
  it("admins may do everything, and every role may read", () => {
    expect(ACTIONS.every((a) => can("admin", a))).toBe(true);
    expect(ROLES.every((r) => can(r, "read"))).toBe(true);
  });
});
