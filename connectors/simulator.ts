import { parseOutboundMessage, type Connector, type DeliveryResult, type OutboundMessage } from "./connector.js";
import { ConnectorClosedError } from "./delivery-errors.js";

/**
 * A connector for the simulated world: it records messages in memory and reports them delivered at
 * once. The cycle calls `drain()` and hands the messages to the simulator's step(); whether a simulated
 * customer receives, opens or ignores one is the simulator's business, not the connector's.
 *
 * Idempotent per dedupeKey like the real connectors, for the life of the instance (one Set entry per
 * message ever delivered), so a retried job does not send the world the same message twice.
 */
export interface SimulatorConnector extends Connector {
  /** Returns the messages delivered since the last drain, in delivery order, and forgets them. */
  drain(): OutboundMessage[];
  /** How many messages are waiting for `drain()`. */
  readonly pending: number;
  close(): Promise<void>;
}

export function createSimulatorConnector(options: { name?: string } = {}): SimulatorConnector {
  const name = options.name ?? "simulator";
  let queue: OutboundMessage[] = [];
  const seen = new Map<string, string>(); // dedupeKey → messageId
  let closed = false;

  return {
    name,
    async deliver(message: OutboundMessage): Promise<DeliveryResult> {
      if (closed) throw new ConnectorClosedError(name);
      const parsed = parseOutboundMessage(message);
      const earlier = seen.get(parsed.dedupeKey);
      if (earlier !== undefined) return { status: "delivered", attempts: 0, providerId: `sim:${earlier}` };
      seen.set(parsed.dedupeKey, parsed.messageId);
      queue.push(parsed);
      return { status: "delivered", attempts: 1, providerId: `sim:${parsed.messageId}` };
    },
    drain(): OutboundMessage[] {
      const drained = queue;
      queue = [];
      return drained;
    },
    get pending() {
      return queue.length;
    },
    async close(): Promise<void> {
      closed = true;
    },
  };
}
