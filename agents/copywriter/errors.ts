import { PulseError } from "../../core/errors.js";

/** A message could not be rendered for a customer (missing value, unknown placeholder): it is never sent. */
export class CopyRenderError extends PulseError {
  readonly variantId: string;
  constructor(variantId: string, message: string, options: { cause?: unknown } = {}) {
    super("COPY_RENDER_FAILED", `variant ${variantId}: ${message}`, options);
    this.variantId = variantId;
  }
}
