/**
 * What every measurement reduces to, whatever generated the load (the out-of-process tape generator,
 * node:http2 in this process, ioredis, a PushStream, an engine loop), so that one schedule
 * (rounds.ts) and one set of summaries serve every paired bench.
 */
import type { LoadResult, ObservedProcess } from "./load.ts";
import type { LatencySummary } from "./stats.ts";
import type { TcpLoadResult } from "./tcp-load.ts";

/** Open loop only: latency runs from the due time, and the generator says how late it sent. */
export interface OpenLoopStats {
  /** Replies to the requests due in the window. */
  readonly completed: number;
  readonly p90Us: number;
  readonly maxUs: number;
  readonly sendLagP50Us: number;
  readonly sendLagP99Us: number;
}

export interface Sample {
  /** Operations (pushes, gets, requests, events) per second; open loop: the arrival rate achieved. */
  readonly opsPerS: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly p999Us: number;
  /** The load generator's CPU, % of one core; null where there is no separate generator. */
  readonly clientCpuPct: number | null;
  readonly serverCpuPct: number | null;
  readonly serverUsPerOp: number | null;
  readonly errors: number;
  readonly firstError: string | null;
  readonly open: OpenLoopStats | null;
  /** A decoded reply, for the case's check. */
  readonly reply: unknown;
  /** Bytes of a successful reply (HTTP/1.1: the body; TCP: the payload; gRPC: the framed message). */
  readonly replyBytes: number | null;
}

/** What every load generator reports, whatever its wire. */
export interface GeneratorReport {
  readonly latency: LatencySummary;
  readonly clientCpuPct: number;
  /** The first one is the server under test. */
  readonly observed: readonly ObservedProcess[];
  readonly errors: number;
  readonly firstError: string | null;
}

export function sampleOf(opsPerS: number, r: GeneratorReport, reply: unknown = null, replyBytes: number | null = null): Sample {
  const server = r.observed[0];
  return {
    opsPerS,
    p50Us: r.latency.p50Us,
    p99Us: r.latency.p99Us,
    p999Us: r.latency.p999Us,
    clientCpuPct: r.clientCpuPct,
    serverCpuPct: server?.cpuPct ?? null,
    serverUsPerOp: server?.cpuUsPerRequest ?? null,
    errors: r.errors,
    firstError: r.firstError,
    open: null,
    reply,
    replyBytes,
  };
}

export function fromTcpLoad(r: TcpLoadResult): Sample {
  return {
    ...sampleOf(r.fps, r, r.sample?.body ?? null, r.sample?.payloadBytes ?? null),
    open:
      r.kind === "open" && r.sendLag !== null
        ? { completed: r.frames, p90Us: r.latency.p90Us, maxUs: r.latency.maxUs, sendLagP50Us: r.sendLag.p50Us, sendLagP99Us: r.sendLag.p99Us }
        : null,
  };
}

export function fromH2Load(r: LoadResult): Sample {
  return sampleOf(r.rps, r, null, r.sampleResponse?.body.length ?? null);
}

/** Server CPU per op of `s` ÷ that of `b`; null when either is unknown. */
export function cpuPerOpRatio(s: Sample, b: Sample): number | null {
  return s.serverUsPerOp === null || b.serverUsPerOp === null ? null : s.serverUsPerOp / b.serverUsPerOp;
}

/** One measurement on a progress line: rate, latency, client and server CPU, in the bench's units ("ops/s", "op"). */
export function sampleLine(s: Sample, rate: string, per: string): string {
  const f = (v: number | null, d = 0) => (v === null || Number.isNaN(v) ? "-" : v.toFixed(d));
  return (
    `${f(s.opsPerS).padStart(8)} ${rate}  p50 ${f(s.p50Us)} µs  p99 ${f(s.p99Us)} µs` +
    `  client cpu ${f(s.clientCpuPct)}%  server cpu ${f(s.serverCpuPct)}% (${f(s.serverUsPerOp, 1)} µs/${per})`
  );
}
