import { Registry, collectDefaultMetrics } from "prom-client";
import { RequestStats } from "./request-stats.ts";

/** Wire protocols a request can arrive on; one label value each. */
export type WireProtocol = "rest" | "connect" | "grpc" | "grpc_web" | "tcp";

/**
 * The server's Prometheus registry. Each server instance owns its registry (tests run many servers in
 * one process), with process metrics and request count + latency labelled by route/rpc, protocol, code.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  private readonly requests: RequestStats;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: "tessera_" });
    this.requests = new RequestStats(this.registry);
  }

  /** Records one finished request; `start` from performance.now() (no BigInt per request). */
  observe(route: string, protocol: WireProtocol, code: string, start: number): void {
    this.requests.observe(route, protocol, code, (performance.now() - start) / 1000);
  }
}

/** The wire protocol of an RPC request, from its content type. */
export function rpcProtocol(contentType: string | null | undefined): WireProtocol {
  if (contentType == null) return "connect";
  if (contentType.startsWith("application/grpc-web")) return "grpc_web";
  if (contentType.startsWith("application/grpc")) return "grpc";
  return "connect";
}
