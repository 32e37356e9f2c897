/** The Tessera data-plane client: one interface over HTTP, framed TCP and Connect. */
export { createClient, type ClientOptions } from "./create-client.ts";
export { TesseraClientError } from "./client-error.ts";
export type * from "./data-plane-client.ts";
export { DEFAULT_TIMEOUT_MS } from "./data-plane-client.ts";
export { HttpDataPlaneClient, type HttpClientOptions } from "./http-client.ts";
export { TcpDataPlaneClient, type TcpClientOptions, type TcpEncoding } from "./tcp-client.ts";
export { ConnectDataPlaneClient, type ConnectClientOptions, type RpcProtocol } from "./connect-client.ts";
