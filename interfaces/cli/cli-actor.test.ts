import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../core/config.js";
import { ConfigError } from "../../core/errors.js";
import { PermissionDeniedError } from "../../guardrails/policy-errors.js";
import { dataDirOwner, requireCan, resolveCliActor } from "./cli-actor.js";

const alice = { username: "alice", uid: 1001 };

describe("the CLI actor", () => {
  it("is the OS user; without PULSE_CLI_ROLES the data directory's owner is admin and anyone else a marketer", () => {
    const config = parseConfig({});
    expect(resolveCliActor(config, alice, 1001)).toEqual({ id: "cli:alice", role: "admin", name: "alice" });
    expect(resolveCliActor(config, alice, 0)).toMatchObject({ id: "cli:alice", role: "marketer" });
    expect(resolveCliActor(config, alice, null)).toMatchObject({ role: "marketer" });
  });

  it("takes roles from PULSE_CLI_ROLES (unlisted: marketer, ownership no longer matters)", () => {
    const config = parseConfig({ PULSE_CLI_ROLES: "bob:approver, carol:admin" });
    expect(config.PULSE_CLI_ROLES).toEqual({ bob: "approver", carol: "admin" });
    expect(resolveCliActor(config, { username: "bob", uid: 7 }, 7).role).toBe("approver");
    expect(resolveCliActor(config, alice, 1001).role).toBe("marketer");
  });

  it("PULSE_ACTOR names a service account; its role is looked up by that name, and the OS user is kept in the name", () => {
    const config = parseConfig({ PULSE_ACTOR: "svc-nightly", PULSE_CLI_ROLES: "svc-nightly:marketer" });
    expect(resolveCliActor(config, alice, 1001)).toEqual({
      id: "cli:svc-nightly",
      role: "marketer",
      name: "svc-nightly (service account, os user alice)",
    });
  });

  it("a malformed PULSE_CLI_ROLES or PULSE_ACTOR stops with the variable named", () => {
    expect(() => parseConfig({ PULSE_CLI_ROLES: "bob:superuser" })).toThrow(ConfigError);
    expect(() => parseConfig({ PULSE_CLI_ROLES: "bob" })).toThrow(/PULSE_CLI_ROLES/);
    expect(() => parseConfig({ PULSE_ACTOR: "two words" })).toThrow(/PULSE_ACTOR/);
  });

  it("requireCan refuses what the role does not allow, naming actor, role and action", () => {
    const marketer = { id: "cli:ann", role: "marketer" as const };
    expect(requireCan(marketer, "start_cycle")).toBe(marketer);
    expect(() => requireCan(marketer, "decide")).toThrow(PermissionDeniedError);
    expect(() => requireCan(marketer, "decide")).toThrow("cli:ann (role marketer) may not decide");
  });

  it("the data directory's owner is read from the nearest existing folder", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "pulse-owner-"));
    try {
      expect(dataDirOwner(path.join(dir, "not", "yet"))).toBe(statSync(dir).uid);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
