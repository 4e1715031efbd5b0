export * from "./connector.js";
export * from "./delivery-errors.js";
export * from "./dead-letter-sink.js";
export * from "./dead-letter-file.js";
export * from "./webhook.js";
export * from "./file-outbox.js";
export * from "./simulator.js";
export * from "./create-connector.js";
export { backoffDelayMs, isRetryableHttpStatus, parseRetryAfterMs, retryWait } from "./retry-backoff.js";
