import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { SlackApp } from "../slack-app.js";

/** Test support: an HTTP server on 127.0.0.1 (a free port) whose only listener is the Slack app's. */
export async function serveSlackApp(app: SlackApp): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => app.requestListener(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
