import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** Wire protocols a request can arrive on; one label value each. */
export type WireProtocol = "rest" | "connect" | "grpc" | "grpc_web" | "tcp";

/**
 * The server's Prometheus registry. Each server instance owns its registry (tests run many servers in
 * one process), with process metrics and request count + latency labelled by route/rpc, protocol, code.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<"route" | "protocol" | "code">;
  private readonly latency: Histogram<"route" | "protocol" | "code">;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: "tessera_" });
    this.requests = new Counter({
      name: "tessera_requests_total",
      help: "Requests served, by route or RPC, wire protocol and result code",
      labelNames: ["route", "protocol", "code"],
      registers: [this.registry],
    });
    this.latency = new Histogram({
      name: "tessera_request_duration_seconds",
      help: "Time from request start to response end, by route or RPC, wire protocol and result code",
      labelNames: ["route", "protocol", "code"],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers: [this.registry],
    });
  }

  /** Records one finished request; `startNs` from process.hrtime.bigint(). */
  observe(route: string, protocol: WireProtocol, code: string, startNs: bigint): void {
    const labels = { route, protocol, code };
    this.requests.inc(labels);
    this.latency.observe(labels, Number(process.hrtime.bigint() - startNs) / 1e9);
  }
}

/** The wire protocol of an RPC request, from its content type. */
export function rpcProtocol(contentType: string | null | undefined): WireProtocol {
  if (contentType == null) return "connect";
  if (contentType.startsWith("application/grpc-web")) return "grpc_web";
  if (contentType.startsWith("application/grpc")) return "grpc";
  return "connect";
}
