import { InputError, PulseError } from "../core/errors.js";
import type { Action } from "../core/roles.js";
import { describeLoosened, type LoosenedField } from "./guardrail-policy.js";

/** A brief asked to loosen the guardrail policy: refused, naming every field (exit code 3 on the CLI). */
export class PolicyLoosenedError extends InputError {
  readonly fields: readonly LoosenedField[];
  readonly policyVersion: number;
  constructor(fields: readonly LoosenedField[], policyVersion: number) {
    super(
      `the brief would loosen the guardrail policy (version ${policyVersion}), which only an admin changes (pulse policy set): ${describeLoosened(fields)}`,
    );
    this.fields = fields;
    this.policyVersion = policyVersion;
  }
}

/** Someone's role does not allow what they asked for. */
export class PermissionDeniedError extends PulseError {
  readonly actorId: string;
  readonly action: Action;
  constructor(actorId: string, role: string, action: Action, hint = "") {
    super("PERMISSION_DENIED", `${actorId} (role ${role}) may not ${action.replace("_", " ")}${hint ? `: ${hint}` : ""}`);
    this.actorId = actorId;
    this.action = action;
  }
}
