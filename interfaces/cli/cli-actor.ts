import { statSync } from "node:fs";
import { userInfo } from "node:os";
import path from "node:path";
import type { Config } from "../../core/config.js";
import { can, type Action, type Actor, type Role } from "../../core/roles.js";
import { PermissionDeniedError } from "../../guardrails/policy-errors.js";

/**
 * Who runs a CLI command: the operating-system user (or PULSE_ACTOR, a service account's name), never
 * a name typed on the command line. Their role comes from PULSE_CLI_ROLES; unset, the OS user who
 * owns the data directory (or, before it exists, the nearest folder above it) is admin, anyone else
 * a marketer.
 */

export interface OsIdentity {
  username: string;
  uid: number;
}

/** Pure: the actor from the configuration, the OS user and the data directory owner's uid. */
export function resolveCliActor(
  config: Pick<Config, "PULSE_ACTOR" | "PULSE_CLI_ROLES">,
  os: OsIdentity,
  dataDirOwnerUid: number | null,
): Actor {
  const name = config.PULSE_ACTOR ?? os.username;
  const ownsData = dataDirOwnerUid !== null && dataDirOwnerUid === os.uid;
  const role: Role = config.PULSE_CLI_ROLES ? (config.PULSE_CLI_ROLES[name] ?? "marketer") : ownsData ? "admin" : "marketer";
  return {
    id: `cli:${name}`,
    role,
    name: config.PULSE_ACTOR ? `${name} (service account, os user ${os.username})` : name,
  };
}

/** The uid owning the data directory, or the nearest existing folder above it; null if none can be read. */
export function dataDirOwner(dataDir: string): number | null {
  let dir = path.resolve(dataDir);
  for (;;) {
    try {
      return statSync(dir).uid;
    } catch {
      const up = path.dirname(dir);
      if (up === dir) return null;
      dir = up;
    }
  }
}

export function cliActor(config: Config): Actor {
  const u = userInfo();
  return resolveCliActor(config, { username: u.username, uid: u.uid }, dataDirOwner(config.PULSE_DATA_DIR));
}

/** Refuses, naming the actor and role, when the role does not allow the action. */
export function requireCan(actor: Actor, action: Action, hint = ""): Actor {
  if (!can(actor.role, action)) throw new PermissionDeniedError(actor.id, actor.role, action, hint);
  return actor;
}
