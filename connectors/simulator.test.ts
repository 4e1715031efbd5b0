import { describe, expect, it } from "vitest";
import { emailMessage, smsMessage } from "./connector-fixtures.js";
import { ConnectorClosedError, InvalidOutboundMessageError } from "./delivery-errors.js";
import { createSimulatorConnector } from "./simulator.js";

describe("simulator connector", () => {
  it("delivers at once and drains messages in order, once", async () => {
    const sim = createSimulatorConnector();
    const a = emailMessage();
    const b = smsMessage();
    expect(await sim.deliver(a)).toEqual({ status: "delivered", attempts: 1, providerId: `sim:${a.messageId}` });
    await sim.deliver(b);
    expect(sim.pending).toBe(2);
    expect(sim.drain()).toEqual([a, b]);
    expect(sim.pending).toBe(0);
    expect(sim.drain()).toEqual([]);
  });

  it("ignores a repeated dedupe key, even after a drain", async () => {
    const sim = createSimulatorConnector();
    const a = emailMessage();
    await sim.deliver(a);
    sim.drain();
    expect(await sim.deliver({ ...a, messageId: "retry" })).toEqual({ status: "delivered", attempts: 0, providerId: `sim:${a.messageId}` });
    expect(sim.drain()).toEqual([]);
  });

  it("validates messages and refuses them after close", async () => {
    const sim = createSimulatorConnector();
    await expect(sim.deliver({ ...smsMessage(), channel: "push" } as never)).rejects.toBeInstanceOf(InvalidOutboundMessageError);
    await sim.close();
    await expect(sim.deliver(smsMessage())).rejects.toBeInstanceOf(ConnectorClosedError);
  });
});
