/**
 * Closed-loop pushes over framed TCP with msgpack payloads through the project's own client
 * (src/client, TCP transport): `connections` pipelined connections, `depth` pushes in flight on each.
 * Each in-flight slot sends its next push as soon as its ack arrives, so throughput is what the
 * server sustains and latency is the push's round trip including its wait in the pipeline (and,
 * under --fsync always, for its group commit).
 */
import { performance } from "node:perf_hooks";
import { TcpDataPlaneClient, type JsonObject } from "../../src/client/index.ts";
import { processCpuMs } from "../lib/machine.ts";
import { LatencyRecorder, type LatencySummary } from "../lib/stats.ts";

export interface TcpPushLoadOptions {
  readonly host: string;
  readonly port: number;
  readonly connections: number;
  readonly depth: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly event: string;
  /** The pushed data: the same for every push, or the i-th push's (keys spread over entities). */
  readonly data: JsonObject | ((i: number) => JsonObject);
  /** The server, whose CPU over the measured window is reported. */
  readonly serverPid: number;
}

export interface TcpPushLoadResult {
  /** Acknowledged pushes sent in the measured window. */
  readonly pushes: number;
  /** Failed pushes over the whole run, warm-up included. */
  readonly errors: number;
  readonly firstError: string | null;
  readonly elapsedS: number;
  readonly pushesPerS: number;
  readonly latency: LatencySummary;
  /** This process's CPU over the window, % of one core. */
  readonly clientCpuPct: number;
  readonly serverCpuPct: number | null;
  readonly serverCpuUsPerPush: number | null;
}

export async function loadTcpPushes(opts: TcpPushLoadOptions): Promise<TcpPushLoadResult> {
  const client = new TcpDataPlaneClient({ host: opts.host, port: opts.port, poolSize: opts.connections, encoding: "msgpack" });
  const rec = new LatencyRecorder();
  let errors = 0;
  let firstError: string | null = null;
  const measureStart = performance.now() + opts.warmupMs;
  const measureEnd = measureStart + opts.durationMs;
  // Read by the first push started inside the window, not by a timer a busy event loop would delay.
  let cpu0: { client: NodeJS.CpuUsage; server: number | null; at: number } | undefined;
  const data = opts.data;
  let sent = 0;

  // The client spreads calls round-robin over its connections, so connections × depth slots keep
  // about `depth` pushes in flight on each.
  const slot = async (): Promise<void> => {
    for (;;) {
      const t0 = performance.now();
      if (t0 >= measureEnd) return;
      const measured = t0 >= measureStart;
      if (measured && cpu0 === undefined) cpu0 = { client: process.cpuUsage(), server: processCpuMs(opts.serverPid), at: t0 };
      try {
        await client.push(opts.event, typeof data === "function" ? data(sent++) : data);
      } catch (e) {
        errors++;
        firstError ??= e instanceof Error ? e.message : String(e);
        continue;
      }
      if (measured) rec.record((performance.now() - t0) * 1000);
    }
  };
  try {
    await Promise.all(Array.from({ length: opts.connections * opts.depth }, slot));
  } finally {
    await client.close();
  }

  const end = performance.now();
  if (cpu0 === undefined) throw new Error("no push started inside the measured window");
  const elapsedMs = end - cpu0.at;
  const client0 = process.cpuUsage(cpu0.client);
  const server1 = processCpuMs(opts.serverPid);
  const serverMs = cpu0.server === null || server1 === null ? null : server1 - cpu0.server;
  return {
    pushes: rec.count,
    errors,
    firstError,
    elapsedS: elapsedMs / 1000,
    pushesPerS: rec.count / (elapsedMs / 1000),
    latency: rec.summary(),
    clientCpuPct: ((client0.user + client0.system) / 1000 / elapsedMs) * 100,
    serverCpuPct: serverMs === null ? null : (serverMs / elapsedMs) * 100,
    serverCpuUsPerPush: serverMs === null ? null : (serverMs * 1000) / rec.count,
  };
}
