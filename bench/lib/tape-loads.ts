/**
 * Cases' run functions over the out-of-process tape generator (tcp-load.ts): a closed loop (frames
 * pipelined `depth` deep per connection, or one HTTP/1.1 request in flight per keep-alive connection)
 * and an open loop (a fixed arrival rate, latency from the due time), each reduced to a Sample.
 */
import { buildHttp1Tape } from "./http1-tape.ts";
import type { Timing } from "./rounds.ts";
import { fromTcpLoad, type Sample } from "./sample.ts";
import type { HostPort } from "./spawn-child.ts";
import type { TcpLoadGenerator } from "./tcp-load.ts";

/** A tape saved where the generator child reads it, and what a successful reply to it is. */
export interface Tape {
  readonly path: string;
  readonly protocol: "frames" | "http1";
  /** Frames: the reply op; HTTP/1.1: the status. */
  readonly expectOp: number;
}

export function frameTape(gen: TcpLoadGenerator, frames: Buffer, expectOp: number): Tape {
  return { path: gen.saveTape(frames), protocol: "frames", expectOp };
}

/** `POST path` once per body; `host` is the Host header. */
export function postTape(gen: TcpLoadGenerator, path: string, bodies: readonly Buffer[], contentType = "application/json", host = "127.0.0.1"): Tape {
  return { path: gen.saveTape(buildHttp1Tape("POST", path, host, { "content-type": contentType }, bodies)), protocol: "http1", expectOp: 200 };
}

/** The listener a load goes to (null: the server has none on this wire), and the process to observe. */
export interface LoadTarget {
  readonly addr: HostPort | null;
  readonly pid: number;
}

function job(tape: Tape, to: LoadTarget, connections: number, t: Timing) {
  if (to.addr === null) throw new Error("the server has no listener on this wire");
  return {
    ...(tape.protocol === "http1" ? { protocol: "http1" as const } : {}),
    host: to.addr.host,
    port: to.addr.port,
    connections,
    ...t,
    tapePath: tape.path,
    expectOp: tape.expectOp,
    observePids: [to.pid],
  };
}

/** `depth` frames in flight per connection; HTTP/1.1 tapes one request per connection whatever `depth`. */
export function closedLoop(gen: TcpLoadGenerator, tape: Tape, to: LoadTarget, connections: number, depth: number): (t: Timing) => Promise<Sample> {
  return (t) => gen.run({ ...job(tape, to, connections, t), kind: "closed", depth: tape.protocol === "http1" ? 1 : depth }).then(fromTcpLoad);
}

export interface OpenLoopOptions {
  readonly connections: number;
  /** The arrival rate, known once a max case has run; null before. */
  readonly rate: () => number | null;
  /** The failure when there is no rate yet. */
  readonly noRate: string;
  readonly drainTimeoutMs: number;
  readonly spin: boolean;
}

export function openLoop(gen: TcpLoadGenerator, tape: Tape, to: LoadTarget, o: OpenLoopOptions): (t: Timing) => Promise<Sample> {
  return (t) => {
    const ratePerS = o.rate();
    if (ratePerS === null) throw new Error(o.noRate);
    return gen.run({ ...job(tape, to, o.connections, t), kind: "open", ratePerS, drainTimeoutMs: o.drainTimeoutMs, spin: o.spin }).then(fromTcpLoad);
  };
}
