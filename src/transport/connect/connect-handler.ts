import { Code, type ConnectRouter, type HandlerContext, type Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { connectError } from "../../errors/wire-errors.ts";
import type { RequestHandler } from "../http/dual-protocol-server.ts";
import { rpcProtocol, type ServerMetrics } from "../metrics.ts";

/** Limits applied to every RPC. */
export interface RpcLimits {
  /** Largest single message read. Default 4 MiB. */
  readonly readMaxBytes: number;
  /** Largest single message written. Default 16 MiB. */
  readonly writeMaxBytes: number;
  /** Largest deadline a client may ask for. Default 60 000 ms. */
  readonly maxTimeoutMs: number;
}

export const DEFAULT_RPC_LIMITS: RpcLimits = {
  readMaxBytes: 4 * 1024 * 1024,
  writeMaxBytes: 16 * 1024 * 1024,
  maxTimeoutMs: 60_000,
};

export interface ConnectHandlerOptions {
  readonly routes: (router: ConnectRouter) => void;
  readonly metrics: ServerMetrics;
  readonly limits?: RpcLimits;
  /** Aborted at the end of a graceful shutdown: long-lived streams end with UNAVAILABLE. */
  readonly shutdownSignal: AbortSignal;
  /** Serves requests that are no RPC (beava's 404 body). */
  readonly fallback: RequestHandler;
  /**
   * Runs once the request headers are in, before any message is read or parsed (connect's
   * requestGate): authentication. A throw ends the RPC with that error, unread.
   */
  readonly requestGate?: (context: HandlerContext) => void;
}

/** The gate, with refusals counted in the request metrics like any other RPC outcome. */
function observedGate(gate: (context: HandlerContext) => void, metrics: ServerMetrics): (context: HandlerContext) => void {
  return (context) => {
    const start = performance.now();
    try {
      gate(context);
    } catch (e) {
      const ce = connectError(e);
      metrics.observe(`/${context.service.typeName}/${context.method.name}`, rpcProtocol(context.requestHeader.get("content-type")), Code[ce.code] ?? "unknown", start);
      throw ce;
    }
  };
}

/** Records each RPC's code and latency, and maps domain errors through the one error table. */
function metricsAndErrors(metrics: ServerMetrics): Interceptor {
  return (next) => async (req) => {
    const start = performance.now();
    const route = `/${req.service.typeName}/${req.method.name}`;
    const protocol = rpcProtocol(req.header.get("content-type"));
    try {
      const res = await next(req);
      if (!res.stream) {
        metrics.observe(route, protocol, "ok", start);
        return res;
      }
      const messages = res.message;
      return {
        ...res,
        message: (async function* () {
          let code = "ok";
          try {
            yield* messages;
          } catch (e) {
            const ce = connectError(e);
            code = Code[ce.code] ?? "unknown";
            throw ce;
          } finally {
            metrics.observe(route, protocol, code, start);
          }
        })(),
      };
    } catch (e) {
      const ce = connectError(e);
      metrics.observe(route, protocol, Code[ce.code] ?? "unknown", start);
      throw ce;
    }
  };
}

/** Connect, gRPC and gRPC-web for every registered service through connect-node's adapter. */
export function createConnectHandler(options: ConnectHandlerOptions): RequestHandler {
  const limits = options.limits ?? DEFAULT_RPC_LIMITS;
  return connectNodeAdapter({
    routes: options.routes,
    fallback: options.fallback as unknown as Parameters<typeof connectNodeAdapter>[0]["fallback"],
    readMaxBytes: limits.readMaxBytes,
    writeMaxBytes: limits.writeMaxBytes,
    maxTimeoutMs: limits.maxTimeoutMs,
    shutdownSignal: options.shutdownSignal,
    interceptors: [metricsAndErrors(options.metrics)],
    ...(options.requestGate === undefined ? {} : { requestGate: observedGate(options.requestGate, options.metrics) }),
  }) as RequestHandler;
}

