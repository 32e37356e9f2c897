/**
 * Closed-loop load generation over HTTP/1.1 keep-alive and h2c.
 *
 * Closed loop: `concurrency` workers each send one request, wait for the complete response, and send
 * the next, so throughput is what the server (or the client, see `clientCpuPct`) can sustain and
 * latency is service time plus queueing behind the other in-flight requests. The load generator runs
 * in the calling process; run servers as children so they do not compete with it for the event loop.
 *
 * Only requests started after the warm-up count. Every result carries the load generator's own CPU
 * share and, for `observePids`, the CPU each observed process used per request: on a small machine a
 * load generator at ~100% CPU caps the req/s of fast servers, and CPU per request on the server side
 * is then the figure that still tells servers apart.
 */
import * as http from "node:http";
import * as http2 from "node:http2";
import type { Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { processCpuMs } from "./machine.ts";
import { LatencyRecorder, type LatencySummary } from "./stats.ts";

export interface RequestSpec {
  readonly method: string;
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Sent as is on every request; build it once, outside the loop. */
  readonly body?: Buffer;
  /**
   * Instead of `body`: pre-built bodies sent in turn (request i carries bodies[i mod n]), for
   * workloads whose requests differ (keys, values) but must cost the client nothing to build.
   */
  readonly bodies?: readonly Buffer[];
}

/** Cycles through `req.bodies` (or repeats `req.body`). */
function bodyCycle(req: RequestSpec): () => Buffer | undefined {
  const bodies = req.bodies;
  if (bodies === undefined || bodies.length === 0) return () => req.body;
  let i = 0;
  return () => bodies[i++ % bodies.length];
}

export interface ResponseInfo {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  /** HTTP trailers (h2: the trailing HEADERS frame, where gRPC puts grpc-status). */
  readonly trailers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

/** Returns null when the response is acceptable, else a short reason; counted as an error. */
export type Validate = (res: ResponseInfo) => string | null;

/** Accepts exactly `status` (default 200). */
export function expectStatus(status = 200): Validate {
  return (res) => (res.status === status ? null : `HTTP ${res.status}: ${res.body.toString().slice(0, 200)}`);
}

export interface LoadOptions {
  /** Requests in flight at once (HTTP/1.1: also the number of keep-alive connections). */
  readonly concurrency: number;
  /** Load applied but not measured first, so JIT, connection set-up and server caches settle. */
  readonly warmupMs: number;
  readonly durationMs: number;
  /** Default: any 2xx. */
  readonly validate?: Validate;
  /** Processes (server children) whose CPU use over the measured window is reported. */
  readonly observePids?: readonly number[];
}

export interface LoadResult {
  /** Successful requests started in the measured window. */
  readonly requests: number;
  /** Failed requests (transport error or rejected by `validate`) over the whole run, warm-up included. */
  readonly errors: number;
  readonly firstError: string | null;
  readonly elapsedS: number;
  readonly rps: number;
  /** Latency of successful measured requests. */
  readonly latency: LatencySummary;
  /** CPU used by this (load-generating) process over the window, as % of one core. */
  readonly clientCpuPct: number;
  /** Per observed pid: CPU % of one core and CPU µs per successful request; null where unreadable. */
  readonly observed: readonly ObservedProcess[];
  /** TCP connections (HTTP/1.1) or h2 sessions opened; above `concurrency` on HTTP/1.1 means keep-alive broke. */
  readonly connectionsOpened: number;
  /** The first successful response, to check and report what was actually served. */
  readonly sampleResponse: ResponseInfo | null;
}

export interface ObservedProcess {
  readonly pid: number;
  readonly cpuPct: number | null;
  readonly cpuUsPerRequest: number | null;
}

type Send = () => Promise<ResponseInfo>;

const okIf2xx: Validate = (res) => (res.status >= 200 && res.status < 300 ? null : `HTTP ${res.status}`);

async function closedLoop(send: Send, opts: LoadOptions, connectionsOpened: () => number): Promise<LoadResult> {
  const validate = opts.validate ?? okIf2xx;
  const pids = opts.observePids ?? [];
  const rec = new LatencyRecorder();
  let errors = 0;
  let firstError: string | null = null;
  let sampleResponse: ResponseInfo | null = null;
  const measureStart = performance.now() + opts.warmupMs;
  const measureEnd = measureStart + opts.durationMs;
  // CPU counters are read by whichever worker first starts a request inside the window, rather than by
  // a timer that would fire late on a saturated event loop.
  let cpu0: { client: NodeJS.CpuUsage; pids: (number | null)[]; at: number } | undefined;

  const fail = (reason: string): void => {
    errors++;
    firstError ??= reason;
  };
  const worker = async (): Promise<void> => {
    for (;;) {
      const t0 = performance.now();
      if (t0 >= measureEnd) return;
      const measured = t0 >= measureStart;
      if (measured && cpu0 === undefined) cpu0 = { client: process.cpuUsage(), pids: pids.map(processCpuMs), at: t0 };
      let res: ResponseInfo;
      try {
        res = await send();
      } catch (e) {
        fail(e instanceof Error ? e.message : String(e));
        continue;
      }
      const latencyUs = (performance.now() - t0) * 1000;
      const reason = validate(res);
      if (reason !== null) fail(reason);
      else {
        sampleResponse ??= res;
        if (measured) rec.record(latencyUs);
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));

  const end = performance.now();
  if (cpu0 === undefined) throw new Error("no request started inside the measured window");
  const start = cpu0;
  const elapsedMs = end - start.at;
  const client = process.cpuUsage(start.client);
  const requests = rec.count;
  const observed = pids.map((pid, i): ObservedProcess => {
    const before = start.pids[i];
    const after = processCpuMs(pid);
    if (before === null || before === undefined || after === null) return { pid, cpuPct: null, cpuUsPerRequest: null };
    return { pid, cpuPct: ((after - before) / elapsedMs) * 100, cpuUsPerRequest: ((after - before) * 1000) / requests };
  });
  return {
    requests,
    errors,
    firstError,
    elapsedS: elapsedMs / 1000,
    rps: requests / (elapsedMs / 1000),
    latency: rec.summary(),
    clientCpuPct: ((client.user + client.system) / 1000 / elapsedMs) * 100,
    observed,
    connectionsOpened: connectionsOpened(),
    sampleResponse,
  };
}

/**
 * Closed-loop HTTP/1.1 load through a keep-alive node:http Agent with `concurrency` sockets, each
 * carrying one request at a time (no pipelining, as real clients do).
 */
export async function loadHttp1(baseUrl: string, req: RequestSpec, opts: LoadOptions): Promise<LoadResult> {
  const url = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.concurrency, maxFreeSockets: opts.concurrency });
  const sockets = new Set<Socket>();
  const headers: Record<string, string> = { ...req.headers };
  if (req.body !== undefined) headers["content-length"] = String(req.body.length);
  const requestOptions: http.RequestOptions = {
    agent,
    host: url.hostname.replace(/^\[|\]$/g, ""),
    port: Number(url.port),
    method: req.method,
    path: req.path,
    headers,
  };
  // With `bodies`, one options object per body (its content-length), built before the loop.
  const bodies = req.bodies !== undefined && req.bodies.length > 0 ? req.bodies : undefined;
  const perBody = bodies?.map((b) => ({ ...requestOptions, headers: { ...headers, "content-length": String(b.length) } }));
  let nextBody = 0;
  const send: Send = () =>
    new Promise((resolve, reject) => {
      let body = req.body;
      let options = requestOptions;
      if (bodies !== undefined && perBody !== undefined) {
        const i = nextBody++ % bodies.length;
        body = bodies[i];
        options = perBody[i] as http.RequestOptions;
      }
      const r = http.request(options, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, trailers: res.trailers, body: Buffer.concat(chunks) }),
        );
        res.on("error", reject);
      });
      r.on("socket", (s) => sockets.add(s));
      r.on("error", reject);
      r.end(body);
    });
  try {
    return await closedLoop(send, opts, () => sockets.size);
  } finally {
    agent.destroy();
  }
}

export interface H2LoadOptions extends LoadOptions {
  /**
   * h2c sessions the `concurrency` streams are spread over. Default 1: a gRPC or Connect client
   * multiplexes all calls on one connection.
   */
  readonly sessions?: number;
}

/** Closed-loop h2c (prior knowledge) load: `concurrency` streams in flight over `sessions` sessions. */
export async function loadH2(baseUrl: string, req: RequestSpec, opts: H2LoadOptions): Promise<LoadResult> {
  const sessionCount = opts.sessions ?? 1;
  const sessions = await Promise.all(
    Array.from(
      { length: sessionCount },
      () =>
        new Promise<http2.ClientHttp2Session>((resolve, reject) => {
          const s = http2.connect(baseUrl);
          s.once("connect", () => {
            s.off("error", reject);
            resolve(s);
          });
          s.once("error", reject);
        }),
    ),
  );
  const headers: http2.OutgoingHttpHeaders = { ...req.headers, ":method": req.method, ":path": req.path };
  const nextBody = bodyCycle(req);
  let next = 0;
  const send: Send = () =>
    new Promise((resolve, reject) => {
      const session = sessions[next++ % sessions.length] as http2.ClientHttp2Session;
      const body = nextBody();
      const stream = session.request(headers, { endStream: body === undefined });
      let status = 0;
      let resHeaders: http.IncomingHttpHeaders = {};
      let trailers: Record<string, string | string[] | undefined> = {};
      const chunks: Buffer[] = [];
      stream.on("response", (h) => {
        status = Number(h[":status"]);
        resHeaders = h;
      });
      stream.on("trailers", (t) => (trailers = t));
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => resolve({ status, headers: resHeaders, trailers, body: Buffer.concat(chunks) }));
      stream.on("error", reject);
      if (body !== undefined) stream.end(body);
    });
  try {
    // Sessions are never re-opened: one that breaks shows up as errors on every later request.
    return await closedLoop(send, opts, () => sessions.length);
  } finally {
    for (const s of sessions) s.close();
  }
}
