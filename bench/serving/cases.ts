/**
 * The GetFeatures cases, measured by serving.ts and by the suite's getfeatures case: Tecton REST
 * (closed loop, and open loop at a rate taken from the REST max) next to the bare JSON echo, and
 * Connect JSON, Connect binary and gRPC next to the empty connect-node FeatureService that returns
 * Tessera's own reply.
 */
import { expectGrpcOk } from "../lib/grpc.ts";
import { loadH2 } from "../lib/load.ts";
import type { CasePair, Timing } from "../lib/rounds.ts";
import { fromH2Load, type Sample } from "../lib/sample.ts";
import type { HostPort } from "../lib/spawn-child.ts";
import { closedLoop, openLoop, postTape, type Tape } from "../lib/tape-loads.ts";
import type { TcpLoadGenerator } from "../lib/tcp-load.ts";
import { FEATURES_PER_TABLE, TABLES, type GetFeaturesWorkload } from "./workload.ts";

export const REST_PATH = "/api/v1/feature-service/get-features";
export const RPC_PATH = "/tessera.featureservice.v1.FeatureService/GetFeatures";

/** REST ≥ 0.5 × the echo's req/s; REST p99 < 2 ms in the open loop; Connect ≤ 1.15 × the empty handler's CPU per request. */
export const TARGETS = { restRatio: 0.5, restP99Us: 2000, connectCpu: 1.15 } as const;

export type Wire = "rest" | "connect-json" | "connect-proto" | "grpc";

export function hostPort(url: string): HostPort {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port) };
}

/** The HTTP/1.1 requests of `wire` for the server at `url`. */
export function servingTape(gen: TcpLoadGenerator, url: string, wire: Exclude<Wire, "grpc">, work: GetFeaturesWorkload): Tape {
  const host = new URL(url).host;
  if (wire === "rest") return postTape(gen, REST_PATH, work.jsonBodies, "application/json", host);
  return wire === "connect-json" ? postTape(gen, RPC_PATH, work.jsonBodies, "application/json", host) : postTape(gen, RPC_PATH, work.protoBodies, "application/proto", host);
}

/** gRPC from node:http2 in this process: `connections` streams in flight on one h2c session. */
export function grpcLoad(url: string, work: GetFeaturesWorkload, pid: number, connections: number): (t: Timing) => Promise<Sample> {
  const request = { method: "POST", path: RPC_PATH, headers: { "content-type": "application/grpc", te: "trailers" }, bodies: work.grpcBodies };
  return (t) => loadH2(url, request, { ...t, concurrency: connections, sessions: 1, validate: expectGrpcOk, observePids: [pid] }).then(fromH2Load);
}

/** A REST reply must carry every feature of the service. */
function checkRest(reply: unknown): void {
  const features = TABLES * FEATURES_PER_TABLE;
  const values = (reply as { result?: { features?: unknown[] } } | null)?.result?.features ?? [];
  if (values.length !== features) throw new Error(`REST reply has ${values.length} values, expected ${features}: ${JSON.stringify(reply).slice(0, 200)}`);
}

export interface ServingServers {
  readonly tessera: { readonly url: string; readonly pid: number };
  readonly echo: { readonly url: string; readonly pid: number };
  readonly empty: { readonly url: string; readonly h2cUrl: string; readonly pid: number };
}

export interface ServingLoad {
  readonly gen: TcpLoadGenerator;
  /** HTTP/1.1 keep-alive connections; gRPC: streams in flight on the one session. */
  readonly connections: number;
  readonly spin: boolean;
  readonly drainTimeoutMs: number;
  /** The open-loop rate, once the REST max has run. */
  readonly rate: () => number | null;
}

export interface ServingPairs {
  readonly restMax: CasePair;
  readonly restOpen: CasePair;
  readonly connectJson: CasePair;
  readonly connectProto: CasePair;
  readonly grpc: CasePair;
}

export function servingPairs(l: ServingLoad, work: GetFeaturesWorkload, s: ServingServers): ServingPairs {
  const closed = (url: string, pid: number, wire: Exclude<Wire, "grpc">) => closedLoop(l.gen, servingTape(l.gen, url, wire, work), { addr: hostPort(url), pid }, l.connections, 1);
  const restTessera = servingTape(l.gen, s.tessera.url, "rest", work);
  const restEcho = servingTape(l.gen, s.echo.url, "rest", work);
  const open = (url: string, pid: number, tape: Tape) =>
    openLoop(l.gen, tape, { addr: hostPort(url), pid }, { connections: l.connections, rate: l.rate, noRate: "no open-loop rate: the REST max case did not run", drainTimeoutMs: l.drainTimeoutMs, spin: l.spin });
  const { tessera, echo, empty } = s;
  return {
    restMax: {
      subject: { id: "rest", label: "tessera REST get-features", check: checkRest, run: closedLoop(l.gen, restTessera, { addr: hostPort(tessera.url), pid: tessera.pid }, l.connections, 1) },
      baseline: { id: "echo", label: "bare node http JSON echo", run: closedLoop(l.gen, restEcho, { addr: hostPort(echo.url), pid: echo.pid }, l.connections, 1) },
    },
    restOpen: {
      subject: { id: "rest-open", label: "tessera REST get-features, open loop", check: checkRest, run: open(tessera.url, tessera.pid, restTessera) },
      baseline: { id: "echo-open", label: "JSON echo, same rate", run: open(echo.url, echo.pid, restEcho) },
    },
    connectJson: {
      subject: { id: "connect-json", label: "tessera Connect JSON", run: closed(tessera.url, tessera.pid, "connect-json") },
      baseline: { id: "empty-json", label: "empty handler, Connect JSON", run: closed(empty.url, empty.pid, "connect-json") },
    },
    connectProto: {
      subject: { id: "connect-proto", label: "tessera Connect binary", run: closed(tessera.url, tessera.pid, "connect-proto") },
      baseline: { id: "empty-proto", label: "empty handler, Connect binary", run: closed(empty.url, empty.pid, "connect-proto") },
    },
    grpc: {
      subject: { id: "grpc", label: "tessera gRPC", run: grpcLoad(tessera.url, work, tessera.pid, l.connections) },
      baseline: { id: "empty-grpc", label: "empty handler, gRPC", run: grpcLoad(empty.h2cUrl, work, empty.pid, l.connections) },
    },
  };
}
