/**
 * Data-plane bench: Tessera's push and get paths, each next to a baseline measured in the same run.
 *
 *   push, HTTP/1.1   POST /push (12-feature table)      vs a bare node http JSON echo      target ≥ 0.7
 *   push, TCP        msgpack PUSH frames, pipelined     vs a bare framed-TCP echo          target ≥ 0.5
 *   push, gRPC       DataPlaneService.PushStream        vs Tessera's HTTP push (reported)
 *   get, max         closed-loop get throughput (HTTP and TCP) vs the same echoes
 *   get, latency     open loop at 50 % of Tessera's max get rate: p50/p99 from the due time, vs the
 *                    echo at the same arrival rate
 *
 * Run: node_modules/.bin/node --experimental-transform-types --disable-warning=ExperimentalWarning \
 *        bench/dataplane/dataplane.ts [--quick] [--rounds N] [--duration-s N] [--warmup-s N] ...
 * (see --help). See bench/dataplane/README.md for how to read the ratios.
 *
 * Each round measures every baseline/case pair back to back (baseline first in even rounds, case
 * first in odd ones); a pair's ratio is taken within its round and the report gives the median over
 * rounds, with the spread.
 */
import { execFileSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { DataPlaneService } from "../../gen/tessera/dataplane/v1/data_plane_service_pb.ts";
import { spawnBareEcho, type BareEcho } from "../lib/bare-echo.ts";
import { spawnBareFrameEcho, type BareFrameEcho } from "../lib/bare-frame-echo.ts";
import { OP_GET_RESPONSE, OP_PUSH } from "../lib/frames.ts";
import { buildHttp1Tape } from "../lib/http1-tape.ts";
import { machineFacts } from "../lib/machine.ts";
import { writeResult } from "../lib/results.ts";
import { median, range } from "../lib/stats.ts";
import { formatTable } from "../lib/table.ts";
import { TcpLoadGenerator, type TcpLoadResult } from "../lib/tcp-load.ts";
import { spawnTessera, type TesseraServer } from "../lib/tessera-server.ts";
import { loadPushStream, type PushStreamResult } from "./push-stream-load.ts";
import { checkPreloaded, checkRow, preload, probe, register, type Availability } from "./setup.ts";
import { FEATURE_SUMMARY, getWorkload, preloadBatches, pushWorkload, ZIPF_S, type GetWorkload, type PushWorkload } from "./workload.ts";

// --- arguments ------------------------------------------------------------------------------------

const { values: argv } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    rounds: { type: "string" },
    "duration-s": { type: "string" },
    "warmup-s": { type: "string" },
    connections: { type: "string", default: "16" },
    depth: { type: "string", default: "64" },
    entities: { type: "string" },
    "stream-events": { type: "string", default: "10000" },
    streams: { type: "string" },
    "open-fraction": { type: "string", default: "0.5" },
    spin: { type: "boolean", default: false },
    only: { type: "string" },
    help: { type: "boolean", default: false },
  },
});

if (argv.help) {
  process.stdout.write(`bench/dataplane/dataplane.ts — Tessera push/get vs in-run baselines
  --quick             smoke run (< 60 s): 1 round, 1 s windows, 20k entities
  --rounds N          rounds per case (default 3)
  --duration-s N      measured seconds per measurement (default 5)
  --warmup-s N        unmeasured seconds before each measurement (default 1)
  --connections N     HTTP keep-alive sockets / TCP connections (default 16)
  --depth N           TCP frames in flight per connection (default 64)
  --entities N        key space, all preloaded before the get cases (default 100000)
  --stream-events N   events per PushStream stream (default 10000)
  --streams N         concurrent PushStream streams on one h2c session (default 4; --quick 2)
  --open-fraction F   open-loop rate as a fraction of the measured max get rate (default 0.5)
  --spin              open loop: busy-wait the last ms before each due time (sends within µs of it,
                      but the generator takes a core from the server on a 2-core machine)
  --only LIST         comma list of groups: push,get,open (default all)
`);
  process.exit(0);
}

function positive(name: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got ${raw}`);
  return n;
}
const quick = argv.quick;
const rounds = Math.round(positive("rounds", argv.rounds ?? (quick ? "1" : "3")));
const durationS = positive("duration-s", argv["duration-s"] ?? (quick ? "1" : "5"));
const warmupS = positive("warmup-s", argv["warmup-s"] ?? (quick ? "0.5" : "1"));
const connections = Math.round(positive("connections", argv.connections));
const depth = Math.round(positive("depth", argv.depth));
const entities = Math.round(positive("entities", argv.entities ?? (quick ? "20000" : "100000")));
const streamEvents = Math.round(positive("stream-events", argv["stream-events"]));
const streams = Math.round(positive("streams", argv.streams ?? (quick ? "2" : "4")));
const openFraction = positive("open-fraction", argv["open-fraction"]);
const spin = argv.spin;
const groups = new Set((argv.only ?? "push,get,open").split(",").map((s) => s.trim()));

const startedAt = new Date();
const machine = machineFacts();
const MEASURE = { warmupMs: warmupS * 1000, durationMs: durationS * 1000 };
// Every case runs once unrecorded before round 0, so round 0 does not pay for JIT warm-up.
const PRIME = { warmupMs: 0, durationMs: (quick ? 0.5 : Math.min(2, warmupS * 2)) * 1000 };
type Timing = typeof MEASURE;

function log(s: string): void {
  process.stderr.write(`${s}\n`);
}

// --- one measurement, whatever the generator ------------------------------------------------------

/** What every measurement reduces to. */
interface Sample {
  /** Operations (pushes, gets, events) per second. */
  readonly opsPerS: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly clientCpuPct: number;
  readonly serverCpuPct: number | null;
  readonly serverUsPerOp: number | null;
  readonly errors: number;
  readonly firstError: string | null;
  /** Open loop only. */
  readonly open?: {
    readonly offeredRps: number;
    readonly completed: number;
    readonly p90Us: number;
    readonly p999Us: number;
    readonly maxUs: number;
    readonly sendLagP50Us: number;
    readonly sendLagP99Us: number;
  };
  /** A decoded reply, for the conditions (and checked by the case). */
  readonly reply: unknown;
  readonly replyBytes: number | null;
}

function fromTcp(r: TcpLoadResult): Sample {
  const o = r.observed[0];
  return {
    opsPerS: r.fps,
    p50Us: r.latency.p50Us,
    p99Us: r.latency.p99Us,
    clientCpuPct: r.clientCpuPct,
    serverCpuPct: o?.cpuPct ?? null,
    serverUsPerOp: o?.cpuUsPerRequest ?? null,
    errors: r.errors,
    firstError: r.firstError,
    open:
      r.kind === "open" && r.sendLag !== null
        ? {
            offeredRps: r.fps,
            completed: r.frames,
            p90Us: r.latency.p90Us,
            p999Us: r.latency.p999Us,
            maxUs: r.latency.maxUs,
            sendLagP50Us: r.sendLag.p50Us,
            sendLagP99Us: r.sendLag.p99Us,
          }
        : undefined,
    reply: r.sample?.body ?? null,
    replyBytes: r.sample?.payloadBytes ?? null,
  };
}

function fromStream(r: PushStreamResult): Sample {
  return {
    opsPerS: r.eventsPerS,
    p50Us: r.streamMsMedian * 1000,
    p99Us: Number.NaN,
    clientCpuPct: r.clientCpuPct,
    serverCpuPct: r.serverCpuPct,
    serverUsPerOp: r.serverUsPerEvent,
    errors: r.errors,
    firstError: r.firstError,
    reply: r.sample,
    replyBytes: null,
  };
}

function safeJson(b: Buffer): unknown {
  try {
    return JSON.parse(b.toString("utf8"));
  } catch {
    return b.toString("utf8").slice(0, 200);
  }
}

// --- cases ----------------------------------------------------------------------------------------

type Group = "push" | "get" | "open";

interface Case {
  readonly id: string;
  readonly group: Group;
  readonly label: string;
  readonly transport: "HTTP/1.1" | "TCP" | "gRPC h2c";
  readonly server: "tessera" | "baseline";
  /** Why the case cannot run (a transport still being written), or null. */
  readonly unavailable: () => string | null;
  readonly run: (t: Timing) => Promise<Sample>;
  /** Throws if a successful reply is not what the case claims to measure. */
  readonly check?: (reply: unknown) => void;
}

/** A case measured against a baseline in the same round; ratio = case ops/s ÷ baseline ops/s. */
interface Pair {
  readonly id: string;
  readonly group: Group;
  readonly title: string;
  readonly caseId: string;
  readonly baselineId: string;
  /** Minimum acceptable ratio, if the issue sets one. */
  readonly target: number | null;
  /** Open loop: compare latencies instead of throughput. */
  readonly latency?: boolean;
}


function checkAck(reply: unknown): void {
  if (reply === null || typeof reply !== "object" || !("ack_lsn" in reply)) throw new Error(`push reply ${JSON.stringify(reply)}`);
}

// --- main -----------------------------------------------------------------------------------------

interface Env {
  readonly tessera: TesseraServer;
  readonly jsonEcho: BareEcho;
  readonly frameEcho: BareFrameEcho;
  readonly gen: TcpLoadGenerator;
  readonly av: Availability;
  readonly push: PushWorkload;
  readonly get: GetWorkload;
  readonly pushTape: string;
  readonly getTape: string;
  readonly pushHttpTape: string;
  readonly getHttpTape: string;
  /** Open-loop rates, filled in after the max-get rounds. */
  readonly openRate: { http: number | null; tcp: number | null };
}

function buildCases(e: Env): Case[] {
  const tcpUnavailable = (): string | null => e.av.tcp;
  const httpUnavailable = (): string | null => e.av.http;
  const grpcUnavailable = (): string | null => e.av.grpc;
  const none = (): null => null;
  // Closed-loop HTTP/1.1 runs from the generator child too: raw pre-encoded requests, one in flight
  // per keep-alive connection, responses framed by Content-Length and checked for status 200.
  const httpClosed = (t: Timing, host: { host: string; port: number }, pid: number, tapePath: string) =>
    e.gen.run({ protocol: "http1", kind: "closed", ...host, connections, depth: 1, ...t, tapePath, expectOp: 200, observePids: [pid] }).then(fromTcp);
  const tcpClosed = (t: Timing, host: { host: string; port: number }, pid: number, tapePath: string, expectOp: number) =>
    e.gen.run({ kind: "closed", ...host, connections, depth, ...t, tapePath, expectOp, observePids: [pid] }).then(fromTcp);
  const tcpOpen = (t: Timing, host: { host: string; port: number }, pid: number) => {
    const rate = e.openRate.tcp;
    if (rate === null) throw new Error("no TCP open-loop rate (the max-get case did not run)");
    return e.gen
      .run({ kind: "open", ...host, connections, ratePerS: rate, drainTimeoutMs: 10_000, spin, ...t, tapePath: e.getTape, expectOp: OP_GET_RESPONSE, observePids: [pid] })
      .then(fromTcp);
  };
  const httpOpen = (t: Timing, host: { host: string; port: number }, pid: number) => {
    const rate = e.openRate.http;
    if (rate === null) throw new Error("no HTTP open-loop rate (the max-get case did not run)");
    return e.gen
      .run({ protocol: "http1", kind: "open", ...host, connections, ratePerS: rate, drainTimeoutMs: 10_000, spin, ...t, tapePath: e.getHttpTape, expectOp: 200, observePids: [pid] })
      .then(fromTcp);
  };
  const tcpAddr = (): { host: string; port: number } => e.tessera.tcp as { host: string; port: number };
  const row = (where: string) => (reply: unknown) => checkRow(reply, where);
  return [
    // push
    { id: "echo-http-push", group: "push", label: "bare node http JSON echo", transport: "HTTP/1.1", server: "baseline", unavailable: none,
      check: checkAck, run: (t) => httpClosed(t, e.jsonEcho.http, e.jsonEcho.pid, e.pushHttpTape) },
    { id: "http-push", group: "push", label: "tessera POST /push", transport: "HTTP/1.1", server: "tessera", unavailable: httpUnavailable, check: checkAck,
      run: (t) => httpClosed(t, e.tessera.http, e.tessera.pid, e.pushHttpTape) },
    { id: "echo-tcp-push", group: "push", label: "bare framed-TCP echo (msgpack decode)", transport: "TCP", server: "baseline", unavailable: none,
      run: (t) => tcpClosed(t, e.frameEcho.tcp, e.frameEcho.pid, e.pushTape, OP_PUSH) },
    { id: "tcp-push", group: "push", label: "tessera TCP PUSH msgpack", transport: "TCP", server: "tessera", unavailable: tcpUnavailable, check: checkAck,
      run: (t) => tcpClosed(t, tcpAddr(), e.tessera.pid, e.pushTape, OP_PUSH) },
    { id: "grpc-push-stream", group: "push", label: `tessera gRPC PushStream (${streamEvents} ev/stream)`, transport: "gRPC h2c", server: "tessera",
      unavailable: grpcUnavailable,
      check: (r) => {
        const s = r as PushStreamResult["sample"];
        if (s === null || s.accepted + s.replayed !== streamEvents) throw new Error(`PushStream summary ${JSON.stringify(s)}`);
      },
      run: (t) => loadPushStream(e.tessera.url, e.push.grpcStreamBody, { streams, events: streamEvents, ...t, observePid: e.tessera.pid }).then(fromStream) },
    // get, closed loop
    { id: "echo-http-get", group: "get", label: "bare node http JSON echo", transport: "HTTP/1.1", server: "baseline", unavailable: none,
      run: (t) => httpClosed(t, e.jsonEcho.http, e.jsonEcho.pid, e.getHttpTape) },
    { id: "http-get", group: "get", label: "tessera POST /get", transport: "HTTP/1.1", server: "tessera", unavailable: httpUnavailable, check: row("POST /get"),
      run: (t) => httpClosed(t, e.tessera.http, e.tessera.pid, e.getHttpTape) },
    { id: "echo-tcp-get", group: "get", label: "bare framed-TCP echo (msgpack decode)", transport: "TCP", server: "baseline", unavailable: none,
      run: (t) => tcpClosed(t, e.frameEcho.tcp, e.frameEcho.pid, e.getTape, OP_GET_RESPONSE) },
    { id: "tcp-get", group: "get", label: "tessera TCP GET msgpack", transport: "TCP", server: "tessera", unavailable: tcpUnavailable, check: row("TCP GET"),
      run: (t) => tcpClosed(t, tcpAddr(), e.tessera.pid, e.getTape, OP_GET_RESPONSE) },
    // get, open loop
    { id: "echo-http-get-open", group: "open", label: "bare node http JSON echo, same rate", transport: "HTTP/1.1", server: "baseline", unavailable: httpUnavailable,
      run: (t) => httpOpen(t, e.jsonEcho.http, e.jsonEcho.pid) },
    { id: "http-get-open", group: "open", label: "tessera POST /get, open loop", transport: "HTTP/1.1", server: "tessera", unavailable: httpUnavailable, check: row("POST /get"),
      run: (t) => httpOpen(t, e.tessera.http, e.tessera.pid) },
    { id: "echo-tcp-get-open", group: "open", label: "bare framed-TCP echo, same rate", transport: "TCP", server: "baseline", unavailable: tcpUnavailable,
      run: (t) => tcpOpen(t, e.frameEcho.tcp, e.frameEcho.pid) },
    { id: "tcp-get-open", group: "open", label: "tessera TCP GET, open loop", transport: "TCP", server: "tessera", unavailable: tcpUnavailable, check: row("TCP GET"),
      run: (t) => tcpOpen(t, tcpAddr(), e.tessera.pid) },
  ];
}

const PAIRS: readonly Pair[] = [
  { id: "push-http", group: "push", title: "push events/s, HTTP/1.1 POST /push vs JSON echo", caseId: "http-push", baselineId: "echo-http-push", target: 0.7 },
  { id: "push-tcp", group: "push", title: `push events/s, TCP msgpack depth ${depth} vs frame echo`, caseId: "tcp-push", baselineId: "echo-tcp-push", target: 0.5 },
  { id: "push-stream", group: "push", title: "push events/s, gRPC PushStream vs HTTP push", caseId: "grpc-push-stream", baselineId: "http-push", target: null },
  { id: "get-http", group: "get", title: "get max req/s, HTTP/1.1 POST /get vs JSON echo", caseId: "http-get", baselineId: "echo-http-get", target: null },
  { id: "get-tcp", group: "get", title: `get max req/s, TCP msgpack depth ${depth} vs frame echo`, caseId: "tcp-get", baselineId: "echo-tcp-get", target: null },
  { id: "open-http", group: "open", title: "get latency, HTTP/1.1 open loop", caseId: "http-get-open", baselineId: "echo-http-get-open", target: null, latency: true },
  { id: "open-tcp", group: "open", title: "get latency, TCP open loop", caseId: "tcp-get-open", baselineId: "echo-tcp-get-open", target: null, latency: true },
];

interface Measurement {
  readonly round: number;
  readonly caseId: string;
  readonly sample: Sample;
}

/**
 * Runs one case; a failure is sticky (the case is not run again) except for open-loop cases, whose
 * failures (an overload on a busy machine) are recorded per round in `roundFailures`.
 */
async function measure(c: Case, round: number | null, out: Measurement[], failures: Map<string, string>): Promise<void> {
  if (failures.has(c.id)) return;
  let s: Sample;
  try {
    s = await c.run(round === null ? PRIME : MEASURE);
    if (s.errors > 0) throw new Error(`${s.errors} errors, first: ${s.firstError}`);
    c.check?.(s.reply);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    if (c.group === "open" && round !== null) {
      const list = roundFailures.get(c.id) ?? [];
      list.push(`round ${round}: ${reason}`);
      roundFailures.set(c.id, list);
    } else failures.set(c.id, reason);
    log(`  ${round === null ? "prime" : `round ${round}`} ${c.id}: FAILED ${reason}`);
    return;
  }
  if (round === null) return;
  out.push({ round, caseId: c.id, sample: s });
  const f = (v: number | null, d = 0) => (v === null || Number.isNaN(v) ? "-" : v.toFixed(d));
  log(
    `  round ${round} ${c.id.padEnd(19)} ${f(s.opsPerS).padStart(8)} ops/s  p50 ${f(s.p50Us)} µs  p99 ${f(s.p99Us)} µs` +
      `  client cpu ${f(s.clientCpuPct)}%  server cpu ${f(s.serverCpuPct)}% (${f(s.serverUsPerOp, 1)} µs/op)`,
  );
}

const roundFailures = new Map<string, string[]>();

/**
 * Runs the pairs of `groups`: primes each case once (except open-loop ones), then `rounds` rounds in
 * which every group's pairs run back to back, group after group; `beforeGroup(group, round)` runs
 * first (it sets the open-loop rates from the same round's max-get measurements).
 */
async function runGroups(
  groups: readonly Group[],
  cases: readonly Case[],
  out: Measurement[],
  failures: Map<string, string>,
  beforeGroup: (group: Group, round: number) => void = () => {},
): Promise<void> {
  const byId = new Map(cases.map((c) => [c.id, c]));
  const runnableOf = (group: Group): { pairs: Pair[]; runnable: Case[] } => {
    const pairs = PAIRS.filter((p) => p.group === group);
    const ids = [...new Set(pairs.flatMap((p) => [p.baselineId, p.caseId]))].filter((id) => byId.get(id)?.group === group);
    const runnable = ids.map((id) => byId.get(id) as Case).filter((c) => {
      const why = c.unavailable();
      if (why !== null) failures.set(c.id, `not available: ${why}`);
      return why === null;
    });
    return { pairs, runnable };
  };
  const plan = groups.map((g) => ({ group: g, ...runnableOf(g) }));
  const primed = plan.filter((x) => x.group !== "open").flatMap((x) => x.runnable);
  log(`${groups.join("+")}: priming ${primed.length} cases, then ${rounds} round(s)`);
  for (const c of primed) await measure(c, null, out, failures);
  for (let r = 0; r < rounds; r++) {
    for (const { group, pairs, runnable } of plan) {
      beforeGroup(group, r);
      const order: Case[] = [];
      for (const p of pairs) {
        const pairIds = byId.get(p.baselineId)?.group === group ? [p.baselineId, p.caseId] : [p.caseId];
        if (r % 2 === 1) pairIds.reverse();
        for (const id of pairIds) {
          const c = runnable.find((x) => x.id === id);
          if (c !== undefined && !order.includes(c)) order.push(c);
        }
      }
      for (const c of order) await measure(c, r, out, failures);
    }
  }
}

interface PairSummary {
  readonly id: string;
  readonly title: string;
  readonly transport: string;
  readonly measured: boolean;
  readonly notMeasured: string | null;
  /** Open loop: rounds in which the case or its baseline failed (e.g. overload), with the reason. */
  readonly failedRounds: readonly string[];
  readonly rounds: number;
  readonly caseOpsPerS: number | null;
  readonly baselineOpsPerS: number | null;
  /** Case ÷ baseline ops/s within each round; median and spread. */
  readonly ratio: { median: number; min: number; max: number } | null;
  readonly target: number | null;
  readonly meetsTarget: boolean | null;
  readonly caseServerUsPerOp: number | null;
  readonly baselineServerUsPerOp: number | null;
  /** Server CPU per op, case ÷ baseline (median of per-round ratios). */
  readonly cpuPerOpRatio: number | null;
  readonly caseServerCpuPct: number | null;
  readonly caseClientCpuPct: number | null;
  readonly baselineClientCpuPct: number | null;
  readonly caseP50Us: number | null;
  readonly caseP99Us: number | null;
  readonly baselineP50Us: number | null;
  readonly baselineP99Us: number | null;
  /** Open loop: case ÷ baseline latency, medians over rounds. */
  readonly p50Ratio: number | null;
  readonly p99Ratio: number | null;
  readonly open: {
    readonly rateRps: number;
    readonly caseP90Us: number;
    readonly caseP999Us: number;
    readonly caseMaxUs: number;
    readonly caseSendLagP99Us: number;
    readonly baselineSendLagP99Us: number;
  } | null;
  readonly caseReplyBytes: number | null;
  readonly baselineReplyBytes: number | null;
}

function nmedian(values: readonly (number | null | undefined)[]): number | null {
  const v = values.filter((x): x is number => typeof x === "number" && !Number.isNaN(x));
  return v.length === 0 ? null : median(v);
}

function summarize(pair: Pair, ms: readonly Measurement[], failures: Map<string, string>, cases: readonly Case[]): PairSummary {
  const of = (id: string) => ms.filter((m) => m.caseId === id);
  const cs = of(pair.caseId);
  const bs = of(pair.baselineId);
  const roundsBoth = cs.map((c) => c.round).filter((r) => bs.some((b) => b.round === r));
  const at = (xs: readonly Measurement[], r: number) => (xs.find((x) => x.round === r) as Measurement).sample;
  const ratios = roundsBoth.map((r) => at(cs, r).opsPerS / at(bs, r).opsPerS);
  const cpuRatios = roundsBoth.map((r) => {
    const a = at(cs, r).serverUsPerOp;
    const b = at(bs, r).serverUsPerOp;
    return a === null || b === null ? null : a / b;
  });
  const measured = roundsBoth.length > 0;
  const failedRounds = [...(roundFailures.get(pair.caseId) ?? []), ...(roundFailures.get(pair.baselineId) ?? [])];
  const notMeasured = measured
    ? null
    : (failures.get(pair.caseId) ?? failures.get(pair.baselineId) ?? (failedRounds.length > 0 ? failedRounds.join("; ") : "not run"));
  const ratio = measured ? { median: median(ratios), ...range(ratios) } : null;
  const c = cases.find((x) => x.id === pair.caseId) as Case;
  const openOf = (xs: readonly Measurement[], f: (o: NonNullable<Sample["open"]>) => number) => nmedian(xs.map((x) => (x.sample.open ? f(x.sample.open) : null)));
  return {
    id: pair.id,
    title: pair.title,
    transport: c.transport,
    measured,
    notMeasured,
    failedRounds,
    rounds: roundsBoth.length,
    caseOpsPerS: nmedian(cs.map((x) => x.sample.opsPerS)),
    baselineOpsPerS: nmedian(bs.map((x) => x.sample.opsPerS)),
    ratio,
    target: pair.target,
    meetsTarget: pair.target === null || ratio === null ? null : ratio.median >= pair.target,
    caseServerUsPerOp: nmedian(cs.map((x) => x.sample.serverUsPerOp)),
    baselineServerUsPerOp: nmedian(bs.map((x) => x.sample.serverUsPerOp)),
    cpuPerOpRatio: nmedian(cpuRatios),
    caseServerCpuPct: nmedian(cs.map((x) => x.sample.serverCpuPct)),
    caseClientCpuPct: nmedian(cs.map((x) => x.sample.clientCpuPct)),
    baselineClientCpuPct: nmedian(bs.map((x) => x.sample.clientCpuPct)),
    caseP50Us: nmedian(cs.map((x) => x.sample.p50Us)),
    caseP99Us: nmedian(cs.map((x) => x.sample.p99Us)),
    baselineP50Us: nmedian(bs.map((x) => x.sample.p50Us)),
    baselineP99Us: nmedian(bs.map((x) => x.sample.p99Us)),
    p50Ratio: pair.latency && measured ? nmedian(roundsBoth.map((r) => at(cs, r).p50Us / at(bs, r).p50Us)) : null,
    p99Ratio: pair.latency && measured ? nmedian(roundsBoth.map((r) => at(cs, r).p99Us / at(bs, r).p99Us)) : null,
    open:
      pair.latency && measured
        ? {
            rateRps: nmedian(cs.map((x) => x.sample.open?.offeredRps)) ?? Number.NaN,
            caseP90Us: openOf(cs, (o) => o.p90Us) ?? Number.NaN,
            caseP999Us: openOf(cs, (o) => o.p999Us) ?? Number.NaN,
            caseMaxUs: openOf(cs, (o) => o.maxUs) ?? Number.NaN,
            caseSendLagP99Us: openOf(cs, (o) => o.sendLagP99Us) ?? Number.NaN,
            baselineSendLagP99Us: openOf(bs, (o) => o.sendLagP99Us) ?? Number.NaN,
          }
        : null,
    caseReplyBytes: cs.find((x) => x.sample.replyBytes !== null)?.sample.replyBytes ?? null,
    baselineReplyBytes: bs.find((x) => x.sample.replyBytes !== null)?.sample.replyBytes ?? null,
  };
}

function gitDescribe(): string {
  try {
    const rev = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "src"], { encoding: "utf8" }).trim() !== "";
    return dirty ? `${rev} (src has uncommitted changes)` : rev;
  } catch {
    return "unknown";
  }
}

function renderTables(summaries: readonly PairSummary[]): string {
  const n = (v: number | null, d = 0) => (v === null || Number.isNaN(v) ? null : Number(v.toFixed(d)));
  const thr = summaries.filter((s) => s.open === null && !s.id.startsWith("open"));
  const lat = summaries.filter((s) => s.id.startsWith("open"));
  const t1 = formatTable(
    [
      { header: "measure", value: (s: PairSummary) => s.title },
      { header: "tessera ops/s", value: (s) => n(s.caseOpsPerS) },
      { header: "baseline ops/s", value: (s) => n(s.baselineOpsPerS) },
      { header: "ratio", value: (s) => (s.ratio === null ? (s.notMeasured === null ? null : "n/m") : s.ratio.median), digits: 2 },
      { header: "range", value: (s) => (s.ratio === null ? null : `${s.ratio.min.toFixed(2)}–${s.ratio.max.toFixed(2)}`) },
      { header: "target", value: (s) => (s.target === null ? null : `≥ ${s.target}`) },
      { header: "ok", value: (s) => (s.meetsTarget === null ? null : s.meetsTarget ? "yes" : "NO") },
      { header: "srv µs/op", value: (s) => n(s.caseServerUsPerOp, 1), digits: 1 },
      { header: "base µs/op", value: (s) => n(s.baselineServerUsPerOp, 1), digits: 1 },
      { header: "cpu/op ratio", value: (s) => n(s.cpuPerOpRatio, 2), digits: 2 },
      { header: "client cpu%", value: (s) => n(s.caseClientCpuPct) },
    ],
    thr,
  );
  const t2 = formatTable(
    [
      { header: "measure", value: (s: PairSummary) => s.title },
      { header: "rate/s", value: (s) => n(s.open?.rateRps ?? null) },
      { header: "p50 µs", value: (s) => n(s.caseP50Us) },
      { header: "p99 µs", value: (s) => n(s.caseP99Us) },
      { header: "p99.9 µs", value: (s) => n(s.open?.caseP999Us ?? null) },
      { header: "echo p50", value: (s) => n(s.baselineP50Us) },
      { header: "echo p99", value: (s) => n(s.baselineP99Us) },
      { header: "p50 ratio", value: (s) => (s.notMeasured !== null ? "n/m" : n(s.p50Ratio, 2)), digits: 2 },
      { header: "p99 ratio", value: (s) => n(s.p99Ratio, 2), digits: 2 },
      { header: "send lag p99 µs", value: (s) => n(s.open?.caseSendLagP99Us ?? null) },
      { header: "srv cpu%", value: (s) => n(s.caseServerCpuPct) },
    ],
    lat,
  );
  const missing = [
    ...summaries.filter((s) => s.notMeasured !== null).map((s) => `not measured: ${s.title}: ${s.notMeasured}`),
    ...summaries.filter((s) => s.notMeasured === null && s.failedRounds.length > 0).map((s) => `failed rounds (left out of the medians): ${s.title}: ${s.failedRounds.join("; ")}`),
  ];
  return [t1, "", t2, ...(missing.length > 0 ? ["", ...missing] : [])].join("\n");
}

async function main(): Promise<void> {
  log(`dataplane: building workloads (${entities} entities)`);
  const tBuild = performance.now();
  const pushEvents = quick ? 20_000 : 50_000;
  const push = pushWorkload(pushEvents, entities, streamEvents);
  const get = getWorkload(quick ? 20_000 : 50_000, entities);
  const batches = preloadBatches(entities, 1000);
  log(`  built in ${Math.round(performance.now() - tBuild)} ms; starting servers`);

  const [tessera, jsonEcho, frameEcho, gen] = await Promise.all([
    spawnTessera(["--tcp", "127.0.0.1:0", "--test-mode"]),
    spawnBareEcho(undefined, { json: true }),
    spawnBareFrameEcho(),
    TcpLoadGenerator.start(),
  ]);
  const stops = [() => tessera.stop(), () => jsonEcho.stop(), () => frameEcho.stop(), () => gen.close()];
  try {
    const av = await probe(tessera);
    log(`  transports: http ${av.http ?? "ok"}; tcp ${av.tcp ?? "ok"}; grpc ${av.grpc ?? "ok"}`);
    const registeredVia = await register(tessera, av);
    const tPre = performance.now();
    const preloadedVia = await preload(tessera, av, batches);
    await checkPreloaded(tessera, av);
    log(`  registered via ${registeredVia}; preloaded ${entities} entities via ${preloadedVia} in ${Math.round(performance.now() - tPre)} ms`);
    if (av.grpc === null) {
      // The real connect-node gRPC client, once, so the raw-h2 load is known to speak the same RPC.
      const client = createClient(DataPlaneService, createGrpcTransport({ baseUrl: tessera.url }));
      const data = JSON.parse(push.httpBodies[0]!.toString()).data;
      const res = await client.pushStream((async function* () {
        for (let i = 0; i < 3; i++) yield { event: "txn", data };
      })());
      if (Number(res.accepted) !== 3) throw new Error(`PushStream via connect-node: ${JSON.stringify(res)}`);
    }

    const env: Env = {
      tessera, jsonEcho, frameEcho, gen, av, push, get,
      pushTape: gen.saveTape(push.tcpTape),
      getTape: gen.saveTape(get.tcpTape),
      pushHttpTape: gen.saveTape(buildHttp1Tape("POST", "/push", "127.0.0.1", { "content-type": "application/json" }, push.httpBodies)),
      getHttpTape: gen.saveTape(buildHttp1Tape("POST", "/get", "127.0.0.1", { "content-type": "application/json" }, get.httpBodies)),
      openRate: { http: null, tcp: null },
    };
    const cases = buildCases(env);
    const ms: Measurement[] = [];
    const failures = new Map<string, string>();
    if (groups.has("push")) await runGroups(["push"], cases, ms, failures);
    if (groups.has("get") || groups.has("open")) {
      // The open-loop rate of a round is openFraction × the max get rate Tessera reached in that same
      // round, just before: on a shared machine the capacity drifts, and a rate taken from an earlier
      // median can overload the server (unbounded queueing) or leave it idle.
      const rateFor = (id: string, round: number): number | null => {
        const same = ms.find((m) => m.caseId === id && m.round === round)?.sample.opsPerS;
        const v = same ?? nmedian(ms.filter((m) => m.caseId === id).map((m) => m.sample.opsPerS));
        return v === null ? null : Math.round(v * openFraction);
      };
      await runGroups(groups.has("open") ? ["get", "open"] : ["get"], cases, ms, failures, (group, round) => {
        if (group !== "open") return;
        env.openRate.http = rateFor("http-get", round);
        env.openRate.tcp = rateFor("tcp-get", round);
        log(`  open loop, round ${round}: ${openFraction} × this round's max get → HTTP ${env.openRate.http ?? "-"}/s, TCP ${env.openRate.tcp ?? "-"}/s`);
      });
    }

    const summaries = PAIRS.filter((p) => groups.has(p.group) || (p.group === "get" && groups.has("open"))).map((p) => summarize(p, ms, failures, cases));
    const conditions = {
      quick,
      rounds,
      durationS,
      warmupS,
      schedule: "prime every case once; per round each baseline/case pair back to back (baseline first in even rounds); ratios within a round, medians over rounds",
      connections,
      tcpDepth: depth,
      tcpInFlight: connections * depth,
      entities,
      keyDistribution: `push: zipf(s=${ZIPF_S}) over ${entities} user keys (${push.distinctUsers} distinct in the ${pushEvents} pre-built events); get: uniform over the ${entities} preloaded entities`,
      table: `1 table, 12 features: ${FEATURE_SUMMARY}`,
      pushJsonBytesMean: Math.round(push.meanJsonBytes * 10) / 10,
      pushMsgpackPayloadBytesMean: Math.round(push.meanMsgpackPayloadBytes * 10) / 10,
      pushProtoMessageBytesMean: Math.round(push.meanProtoBytes * 10) / 10,
      getJsonBytes: get.jsonBytes,
      getMsgpackPayloadBytes: get.msgpackPayloadBytes,
      pushStream: { eventsPerStream: streamEvents, concurrentStreams: streams, h2Sessions: 1 },
      openLoop: {
        fractionOfMax: openFraction,
        rate: "per round: openFraction × Tessera's max get rate measured in the same round",
        spin,
        latencyFrom: "due (scheduled) time",
      },
      baselines: {
        http: "bare node http server (bench/lib/bare-echo-child.ts, BENCH_ECHO_JSON=1): JSON.parse of the body, JSON.stringify of {ack_lsn,idempotent_replay,registry_version}",
        tcp: "bare framed-TCP server (bench/lib/bare-frame-echo-child.ts): frames split, msgpack payload decoded, fixed small reply frame, replies of one read corked",
        pushStream: "Tessera's own HTTP/1.1 POST /push, same round",
      },
      loadGenerators: {
        http: "separate child process (bench/lib/tcp-load-child.ts, protocol http1): pre-encoded raw HTTP/1.1 requests, 1 in flight per keep-alive connection (open loop: due requests wait in one FIFO for a free connection), responses framed by Content-Length, status checked",
        tcp: "separate child process (bench/lib/tcp-load-child.ts): pre-encoded frame tape, replies only framed and counted",
        grpc: "in the bench process: raw node:http2 stream per PushStream with pre-encoded messages",
      },
      server: "tessera serve --memory-only --auth off --test-mode --log-level warn, HTTP + TCP + admin on loopback",
      registeredVia,
      preloadedVia,
      availability: av,
      tesseraCommit: gitDescribe(),
      ...machine,
    };
    const tables = renderTables(summaries);
    const condLines = [
      `table: ${conditions.table}`,
      `keys: ${conditions.keyDistribution}`,
      `push body: ~${conditions.pushJsonBytesMean} B JSON (HTTP), ~${conditions.pushMsgpackPayloadBytesMean} B msgpack payload (TCP), ~${conditions.pushProtoMessageBytesMean} B proto (gRPC)`,
      `get body: ${get.jsonBytes} B JSON, ${get.msgpackPayloadBytes} B msgpack`,
      `connections: ${connections} (HTTP keep-alive, 1 request in flight each; TCP depth ${depth} → ${connections * depth} in flight); PushStream: ${streams} streams × ${streamEvents} events on 1 h2c session`,
      `open loop: per round ${openFraction} × that round's Tessera max get rate (echo at the same rate), latency from the due time, spin ${spin}`,
      `timing: ${durationS} s measured + ${warmupS} s warm-up per measurement, ${rounds} round(s), medians reported`,
      `node ${machine.node}, ${machine.cpuModel} × ${machine.cores} cores, load avg at start ${machine.loadAvg.join(" ")}`,
      `tessera: ${conditions.tesseraCommit}`,
    ];
    const title = `Tessera data plane vs in-run baselines (${startedAt.toISOString()}${quick ? ", --quick" : ""})`;
    const legend =
      "ratio = tessera ops/s ÷ baseline ops/s in the same round (median, range over rounds); srv µs/op = server CPU per op;\n" +
      "cpu/op ratio = tessera server CPU per op ÷ the baseline's; latency ratios = tessera ÷ echo at the same arrival rate.";
    process.stdout.write(`\n${title}\n\n${tables}\n\n${condLines.join("\n")}\n\n${legend}\n`);

    const path = await writeResult("dataplane", startedAt, {
      bench: "dataplane",
      startedAt: startedAt.toISOString(),
      conditions,
      pairs: summaries,
      failures: Object.fromEntries(failures),
      measurements: ms.map((m) => ({ round: m.round, caseId: m.caseId, ...m.sample })),
    });
    const md = `# ${title}\n\n\`\`\`\n${tables}\n\`\`\`\n\n${condLines.map((l) => `- ${l}`).join("\n")}\n\n${legend.replace("\n", " ")}\n`;
    const mdPath = path.replace(/\.json$/, ".md");
    await writeFile(mdPath, md);
    process.stdout.write(`results: ${path}\n         ${mdPath}\n`);
  } finally {
    await Promise.all(stops.map((s) => s()));
  }
}

try {
  await main();
} catch (e) {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
}
