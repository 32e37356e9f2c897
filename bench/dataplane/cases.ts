/**
 * The data plane's push and get cases over framed TCP and HTTP/1.1, each next to the least work node
 * does for the same wire (the bare framed-TCP echo, the bare node http JSON echo). dataplane.ts
 * measures them on its table; the suite's push, get, Redis and durability cases on its packs.
 */
import { OP_GET_RESPONSE, OP_PUSH } from "../lib/frames.ts";
import type { CasePair } from "../lib/rounds.ts";
import type { HostPort } from "../lib/spawn-child.ts";
import { closedLoop, frameTape, openLoop, postTape, type LoadTarget } from "../lib/tape-loads.ts";
import type { TcpLoadGenerator } from "../lib/tcp-load.ts";
import { FEATURE_NAMES } from "./workload.ts";

/** Tessera ÷ echo push throughput at least this, per wire. */
export const PUSH_TARGETS = { tcp: 0.5, http: 0.7 } as const;

/** A push reply must be an ack. */
export function checkAck(reply: unknown): void {
  if (reply === null || typeof reply !== "object" || !("ack_lsn" in reply)) throw new Error(`push reply is not an ack: ${JSON.stringify(reply).slice(0, 200)}`);
}

/** A get reply must hold every feature of the table. */
export function checkRowOf(features: readonly string[], where: string): (reply: unknown) => void {
  return (reply) => {
    const keys = reply !== null && typeof reply === "object" ? Object.keys(reply) : [];
    const missing = features.filter((f) => !keys.includes(f));
    if (missing.length > 0) throw new Error(`${where}: row lacks ${missing.join(", ")}: ${JSON.stringify(reply).slice(0, 300)}`);
  };
}

export interface DataPlaneServers {
  /** `tcp` null: the server's TCP listener is off, and its TCP cases fail. */
  readonly tessera: { readonly http: HostPort; readonly tcp: HostPort | null; readonly pid: number };
  readonly jsonEcho: { readonly http: HostPort; readonly pid: number };
  readonly frameEcho: { readonly tcp: HostPort; readonly pid: number };
}

export interface DataPlaneLoad {
  readonly gen: TcpLoadGenerator;
  readonly connections: number;
  /** TCP frames in flight per connection; HTTP/1.1 keeps one request in flight per connection. */
  readonly depth: number;
}

/** One operation's requests on both wires. */
export interface WireRequests {
  /** Msgpack frames back to back. */
  readonly tcpTape: Buffer;
  /** JSON bodies. */
  readonly httpBodies: readonly Buffer[];
}

export interface WirePairs {
  readonly tcp: CasePair;
  readonly http: CasePair;
}

/** Where each wire's load goes, for Tessera and for the echo. */
function targets(s: DataPlaneServers): Record<"tessera" | "echo", Record<"tcp" | "http", LoadTarget>> {
  return {
    tessera: { tcp: { addr: s.tessera.tcp, pid: s.tessera.pid }, http: { addr: s.tessera.http, pid: s.tessera.pid } },
    echo: { tcp: { addr: s.frameEcho.tcp, pid: s.frameEcho.pid }, http: { addr: s.jsonEcho.http, pid: s.jsonEcho.pid } },
  };
}

export function pushPairs(l: DataPlaneLoad, s: DataPlaneServers, push: WireRequests): WirePairs {
  const tcp = frameTape(l.gen, push.tcpTape, OP_PUSH);
  const http = postTape(l.gen, "/push", push.httpBodies);
  const { tessera, echo } = targets(s);
  return {
    tcp: {
      subject: { id: "tcp-push", label: "tessera TCP PUSH msgpack", check: checkAck, run: closedLoop(l.gen, tcp, tessera.tcp, l.connections, l.depth) },
      baseline: { id: "echo-tcp-push", label: "bare framed-TCP echo (msgpack decode)", run: closedLoop(l.gen, tcp, echo.tcp, l.connections, l.depth) },
    },
    http: {
      subject: { id: "http-push", label: "tessera POST /push", check: checkAck, run: closedLoop(l.gen, http, tessera.http, l.connections, 1) },
      baseline: { id: "echo-http-push", label: "bare node http JSON echo", check: checkAck, run: closedLoop(l.gen, http, echo.http, l.connections, 1) },
    },
  };
}

/** Open-loop arrival rates per wire, set from a max Tessera reached; null until then. */
export interface OpenRates {
  tcp: number | null;
  http: number | null;
}

export interface OpenLoad {
  readonly rates: OpenRates;
  readonly spin: boolean;
  readonly drainTimeoutMs: number;
}

/** Closed loop (the max), and open loop at `open.rates` with the echo at the same rate. */
export function getPairs(l: DataPlaneLoad, s: DataPlaneServers, get: WireRequests, open: OpenLoad): { readonly max: WirePairs; readonly open: WirePairs } {
  const tcp = frameTape(l.gen, get.tcpTape, OP_GET_RESPONSE);
  const http = postTape(l.gen, "/get", get.httpBodies);
  const tcpRow = checkRowOf(FEATURE_NAMES, "TCP GET");
  const httpRow = checkRowOf(FEATURE_NAMES, "POST /get");
  const at = (wire: "tcp" | "http") => ({
    connections: l.connections,
    rate: () => open.rates[wire],
    noRate: `no ${wire.toUpperCase()} open-loop rate (the max-get case did not run)`,
    drainTimeoutMs: open.drainTimeoutMs,
    spin: open.spin,
  });
  const { tessera, echo } = targets(s);
  return {
    max: {
      tcp: {
        subject: { id: "tcp-get", label: "tessera TCP GET msgpack", check: tcpRow, run: closedLoop(l.gen, tcp, tessera.tcp, l.connections, l.depth) },
        baseline: { id: "echo-tcp-get", label: "bare framed-TCP echo (msgpack decode)", run: closedLoop(l.gen, tcp, echo.tcp, l.connections, l.depth) },
      },
      http: {
        subject: { id: "http-get", label: "tessera POST /get", check: httpRow, run: closedLoop(l.gen, http, tessera.http, l.connections, 1) },
        baseline: { id: "echo-http-get", label: "bare node http JSON echo", run: closedLoop(l.gen, http, echo.http, l.connections, 1) },
      },
    },
    open: {
      tcp: {
        subject: { id: "tcp-get-open", label: "tessera TCP GET, open loop", check: tcpRow, run: openLoop(l.gen, tcp, tessera.tcp, at("tcp")) },
        baseline: { id: "echo-tcp-get-open", label: "bare framed-TCP echo, same rate", run: openLoop(l.gen, tcp, echo.tcp, at("tcp")) },
      },
      http: {
        subject: { id: "http-get-open", label: "tessera POST /get, open loop", check: httpRow, run: openLoop(l.gen, http, tessera.http, at("http")) },
        baseline: { id: "echo-http-get-open", label: "bare node http JSON echo, same rate", run: openLoop(l.gen, http, echo.http, at("http")) },
      },
    },
  };
}
