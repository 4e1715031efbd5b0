import { InputError, NotFoundError, PulseError } from "../core/errors.js";

/** An audit entry does not match its kind's schema, or cannot be stored as JSON. A bug in the caller: never retried. */
export class AuditEntryError extends PulseError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super("AUDIT_ENTRY_INVALID", message, options);
  }
}

/** The audit log has no entries about the customer (in the cycle asked about). */
export class AuditCustomerNotFoundError extends NotFoundError {
  readonly customerId: string;
  readonly cycleId: string | undefined;
  constructor(customerId: string, cycleId?: string) {
    super(`audit entries for customer "${customerId}"${cycleId ? ` in cycle "${cycleId}"` : ""}`);
    this.customerId = customerId;
    this.cycleId = cycleId;
  }
}

/** An export range or format is not acceptable. Exit code 3 (an InputError). */
export class AuditExportRangeError extends InputError {}
