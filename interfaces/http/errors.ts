import { PulseError } from "../../core/errors.js";

/** Input that passed the route's schema but not a deeper one (e.g. cycle settings): a 400 with the zod issues. */
export class BadRequestError extends PulseError {
  readonly issues: readonly { path: readonly PropertyKey[]; message: string }[];
  constructor(message: string, issues: readonly { path: readonly PropertyKey[]; message: string }[], prefix: readonly string[] = []) {
    super("HTTP_BAD_REQUEST", message);
    this.issues = issues.map((i) => ({ ...i, path: [...prefix, ...i.path] }));
  }
}
