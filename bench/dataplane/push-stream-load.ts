/**
 * Load for DataPlaneService.PushStream over gRPC (h2c): `streams` workers on one HTTP/2 session each
 * open a client stream, write a pre-encoded body of `events` length-prefixed PushStreamRequest
 * messages, half-close, and wait for the PushStreamResponse summary; then start the next stream.
 *
 * The body is written as raw bytes on a node:http2 stream, so the client spends nothing on protobuf
 * (the messages were encoded once with the generated schema); setup.ts checks the same RPC with the
 * real connect-node gRPC client. Throughput is taken between stream completions: events of the
 * streams that completed in (a, b] over b − a, with a and b the first and last completion inside the
 * measured window, which stays unbiased when several long streams overlap.
 */
import * as http2 from "node:http2";
import { performance } from "node:perf_hooks";
import { fromBinary } from "@bufbuild/protobuf";
import { PushStreamResponseSchema } from "../../gen/tessera/dataplane/v1/data_plane_service_pb.ts";
import { processCpuMs } from "../lib/machine.ts";
import { median } from "../lib/stats.ts";

export const PUSH_STREAM_PATH = "/tessera.dataplane.v1.DataPlaneService/PushStream";

export interface PushStreamOptions {
  readonly streams: number;
  readonly events: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly observePid: number;
}

export interface PushStreamResult {
  readonly eventsPerS: number;
  readonly completedStreams: number;
  readonly streamMsMedian: number;
  readonly errors: number;
  readonly firstError: string | null;
  readonly clientCpuPct: number;
  readonly serverCpuPct: number | null;
  readonly serverUsPerEvent: number | null;
  readonly sample: { accepted: number; rejected: number; replayed: number } | null;
}

interface Completion {
  readonly at: number;
  readonly events: number;
  readonly client: NodeJS.CpuUsage;
  readonly server: number | null;
}

function oneStream(session: http2.ClientHttp2Session, body: Buffer): Promise<{ accepted: number; rejected: number; replayed: number }> {
  return new Promise((resolve, reject) => {
    const s = session.request({ ":method": "POST", ":path": PUSH_STREAM_PATH, "content-type": "application/grpc+proto", te: "trailers" });
    const chunks: Buffer[] = [];
    let headers: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    s.on("response", (h) => (headers = h));
    s.on("trailers", (t) => (trailers = t));
    s.on("data", (c: Buffer) => chunks.push(c));
    s.on("error", reject);
    s.on("end", () => {
      const status = trailers["grpc-status"] ?? headers["grpc-status"];
      if (Number(headers[":status"]) !== 200 || status !== "0") {
        const msg = trailers["grpc-message"] ?? headers["grpc-message"];
        reject(new Error(`PushStream: HTTP ${headers[":status"]} grpc-status ${String(status)} ${decodeURIComponent(String(msg ?? ""))}`));
        return;
      }
      const data = Buffer.concat(chunks);
      const msg = fromBinary(PushStreamResponseSchema, data.subarray(5, 5 + data.readUInt32BE(1)));
      resolve({ accepted: Number(msg.accepted), rejected: Number(msg.rejected), replayed: Number(msg.replayed) });
    });
    s.end(body);
  });
}

export async function loadPushStream(baseUrl: string, body: Buffer, opts: PushStreamOptions): Promise<PushStreamResult> {
  const session = await new Promise<http2.ClientHttp2Session>((resolve, reject) => {
    const s = http2.connect(baseUrl);
    s.once("connect", () => resolve(s));
    s.once("error", reject);
  });
  const t0 = performance.now();
  const measureStart = t0 + opts.warmupMs;
  const measureEnd = measureStart + opts.durationMs;
  // Past the window, streams continue until two completions fall inside it (long streams, short runs).
  const hardEnd = measureEnd + 20_000;
  const completions: Completion[] = [];
  const durations: number[] = [];
  let errors = 0;
  let firstError: string | null = null;
  let sample: PushStreamResult["sample"] = null;
  const inWindow = (): number => completions.length;
  const worker = async (): Promise<void> => {
    for (;;) {
      const now = performance.now();
      if (now >= hardEnd || (now >= measureEnd && inWindow() >= 2)) return;
      try {
        const r = await oneStream(session, body);
        const at = performance.now();
        sample ??= r;
        if (r.rejected > 0) {
          errors += r.rejected;
          firstError ??= `${r.rejected} of ${opts.events} events rejected`;
        }
        if (at >= measureStart && (at <= measureEnd || completions.length < 2)) {
          completions.push({ at, events: r.accepted + r.replayed, client: process.cpuUsage(), server: processCpuMs(opts.observePid) });
          durations.push(at - now);
        }
      } catch (e) {
        errors++;
        firstError ??= e instanceof Error ? e.message : String(e);
        if (performance.now() >= measureEnd) return;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: opts.streams }, worker));
  } finally {
    session.close();
  }
  completions.sort((x, y) => x.at - y.at);
  if (completions.length < 2) {
    return {
      eventsPerS: Number.NaN,
      completedStreams: completions.length,
      streamMsMedian: median(durations),
      errors: errors + (completions.length < 2 && errors === 0 ? 1 : 0),
      firstError: firstError ?? `only ${completions.length} stream(s) completed in the window`,
      clientCpuPct: Number.NaN,
      serverCpuPct: null,
      serverUsPerEvent: null,
      sample,
    };
  }
  const a = completions[0] as Completion;
  const b = completions[completions.length - 1] as Completion;
  const events = completions.slice(1).reduce((s, c) => s + c.events, 0);
  const ms = b.at - a.at;
  const clientUs = b.client.user + b.client.system - a.client.user - a.client.system;
  const serverMs = a.server === null || b.server === null ? null : b.server - a.server;
  return {
    eventsPerS: events / (ms / 1000),
    completedStreams: completions.length,
    streamMsMedian: median(durations),
    errors,
    firstError,
    clientCpuPct: (clientUs / 1000 / ms) * 100,
    serverCpuPct: serverMs === null ? null : (serverMs / ms) * 100,
    serverUsPerEvent: serverMs === null ? null : (serverMs * 1000) / events,
    sample,
  };
}
