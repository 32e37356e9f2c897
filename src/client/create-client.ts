import { ConnectDataPlaneClient, type ConnectClientOptions } from "./connect-client.ts";
import type { DataPlaneClient } from "./data-plane-client.ts";
import { HttpDataPlaneClient, type HttpClientOptions } from "./http-client.ts";
import { TcpDataPlaneClient, type TcpClientOptions } from "./tcp-client.ts";

/** Which wire the client speaks, with that wire's options (each documents its defaults). */
export type ClientOptions =
  | ({ readonly transport: "http" } & HttpClientOptions)
  | ({ readonly transport: "tcp" } & TcpClientOptions)
  | ({ readonly transport: "connect" } & ConnectClientOptions);

/**
 * A data-plane client over the chosen wire. No connection is opened until the first request.
 *
 * ```ts
 * const client = createClient({ transport: "tcp", host: "127.0.0.1", port: 8081 });
 * await client.push("txn", { user_id: "u1", amount: 12.5 });
 * ```
 */
export function createClient(options: ClientOptions): DataPlaneClient {
  switch (options.transport) {
    case "http":
      return new HttpDataPlaneClient(options);
    case "tcp":
      return new TcpDataPlaneClient(options);
    case "connect":
      return new ConnectDataPlaneClient(options);
  }
}
