/**
 * Serving bench: Tecton-compatible GetFeatures for a service of 10 tables × 3 features, each case
 * next to a baseline measured in the same run.
 *
 *   REST max        POST /api/v1/feature-service/get-features, closed loop   vs a bare node http JSON echo   target ≥ 0.5 × echo req/s
 *   REST latency    the same route, open loop at 50 % of its measured max     p50 / p99 from the due time    target p99 < 2 ms
 *   Connect         FeatureService/GetFeatures as Connect JSON (HTTP/1.1), Connect binary (HTTP/1.1) and
 *                   gRPC (h2c)  vs an empty connect-node FeatureService returning a same-size reply,
 *                   compared by server CPU per request                                         target ≤ 1.15 ×
 *   Connect path    the same handler work in process, without the HTTP stack (connect-path.ts): what
 *                   serving itself adds to a Connect call (diagnostic, no target)
 *
 * Run: node_modules/.bin/node --experimental-transform-types --disable-warning=ExperimentalWarning \
 *        bench/serving/serving.ts [--quick] [--rounds N] [--duration-s N] ... (see --help and README.md)
 *
 * Each round measures every baseline/case pair back to back (baseline first in even rounds, case
 * first in odd ones); ratios are taken within a round and reported as medians over rounds.
 */
import { execFileSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { spawnBareEcho } from "../lib/bare-echo.ts";
import { buildHttp1Tape } from "../lib/http1-tape.ts";
import { loadH2, type LoadResult, type RequestSpec, type Validate } from "../lib/load.ts";
import { machineFacts } from "../lib/machine.ts";
import { writeResult } from "../lib/results.ts";
import { median, range } from "../lib/stats.ts";
import { formatTable } from "../lib/table.ts";
import { TcpLoadGenerator, type TcpLoadResult } from "../lib/tcp-load.ts";
import { spawnTessera } from "../lib/tessera-server.ts";
import { measureConnectPath, type ConnectPathResult } from "./connect-path.ts";
import { spawnEmptyConnect } from "./empty-connect.ts";
import { checkReplies, prepareTessera } from "./setup.ts";
import { FEATURE_SUMMARY, FEATURES_PER_TABLE, getFeaturesWorkload, TABLES, type MetadataMode } from "./workload.ts";

// --- arguments ------------------------------------------------------------------------------------

const { values: argv } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    rounds: { type: "string" },
    "duration-s": { type: "string" },
    "warmup-s": { type: "string" },
    connections: { type: "string", default: "16" },
    entities: { type: "string" },
    metadata: { type: "string", default: "names" },
    "open-fraction": { type: "string", default: "0.5" },
    "no-spin": { type: "boolean", default: false },
    only: { type: "string" },
    help: { type: "boolean", default: false },
  },
});

if (argv.help) {
  process.stdout.write(`bench/serving/serving.ts — Tecton-compatible GetFeatures vs in-run baselines
  --quick             smoke run (< 60 s): 1 round, 1 s windows, 2k entities
  --rounds N          rounds per pair (default 3)
  --duration-s N      measured seconds per measurement (default 5)
  --warmup-s N        unmeasured seconds before each measurement (default 1)
  --connections N     HTTP/1.1 keep-alive sockets; gRPC: streams in flight on one h2c session (default 16)
  --entities N        entities preloaded and read (default 10000)
  --metadata M        names (includeNames + includeDataTypes, what the official clients send; default) or none
  --open-fraction F   open-loop rate as a fraction of the measured max REST rate (default 0.5)
  --no-spin           open loop: timer-driven sends only (~1 ms granularity, less generator CPU)
  --only LIST         comma list of groups: rest,open,connect,inproc (default all; open needs rest)
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
const entities = Math.round(positive("entities", argv.entities ?? (quick ? "2000" : "10000")));
const openFraction = positive("open-fraction", argv["open-fraction"]);
const spin = !argv["no-spin"];
if (argv.metadata !== "names" && argv.metadata !== "none") throw new Error(`--metadata must be names or none, got ${argv.metadata}`);
const metadataMode: MetadataMode = argv.metadata;
const groups = new Set((argv.only ?? "rest,open,connect,inproc").split(",").map((s) => s.trim()));
if (groups.has("open")) groups.add("rest");

const FEATURES = TABLES * FEATURES_PER_TABLE;
const REST_PATH = "/api/v1/feature-service/get-features";
const RPC_PATH = "/tessera.featureservice.v1.FeatureService/GetFeatures";
const startedAt = new Date();
const machine = machineFacts();
const MEASURE = { warmupMs: warmupS * 1000, durationMs: durationS * 1000 };
// Every case runs once unrecorded before round 0, so round 0 does not pay for JIT warm-up.
const PRIME = { warmupMs: 0, durationMs: (quick ? 0.5 : Math.min(2, warmupS * 2)) * 1000 };
type Timing = typeof MEASURE;

function log(s: string): void {
  process.stderr.write(`${s}\n`);
}

// --- samples --------------------------------------------------------------------------------------

interface Sample {
  readonly opsPerS: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly clientCpuPct: number;
  readonly serverCpuPct: number | null;
  readonly serverUsPerOp: number | null;
  readonly errors: number;
  readonly firstError: string | null;
  readonly open?: { readonly p90Us: number; readonly p999Us: number; readonly maxUs: number; readonly sendLagP99Us: number };
  /** Bytes of a successful reply body (HTTP/1.1: the body; gRPC: the length-prefixed message). */
  readonly replyBytes: number | null;
}

/** The out-of-process HTTP/1.1 generator (closed or open loop). */
function fromGenerator(r: TcpLoadResult): Sample {
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
        ? { p90Us: r.latency.p90Us, p999Us: r.latency.p999Us, maxUs: r.latency.maxUs, sendLagP99Us: r.sendLag.p99Us }
        : undefined,
    replyBytes: r.sample?.payloadBytes ?? null,
  };
}

/** The in-process h2c generator (gRPC). */
function fromH2(r: LoadResult): Sample {
  const o = r.observed[0];
  return {
    opsPerS: r.rps,
    p50Us: r.latency.p50Us,
    p99Us: r.latency.p99Us,
    clientCpuPct: r.clientCpuPct,
    serverCpuPct: o?.cpuPct ?? null,
    serverUsPerOp: o?.cpuUsPerRequest ?? null,
    errors: r.errors,
    firstError: r.firstError,
    replyBytes: r.sampleResponse?.body.length ?? null,
  };
}

const expectGrpcOk: Validate = (res) => {
  const status = res.trailers["grpc-status"] ?? res.headers["grpc-status"];
  return res.status === 200 && status === "0" ? null : `HTTP ${res.status}, grpc-status ${String(status)} ${String(res.trailers["grpc-message"] ?? "")}`;
};

// --- cases and pairs ------------------------------------------------------------------------------

type Group = "rest" | "open" | "connect";

interface Case {
  readonly id: string;
  readonly group: Group;
  readonly label: string;
  readonly run: (t: Timing) => Promise<Sample>;
}

interface Pair {
  readonly id: string;
  readonly group: Group;
  readonly title: string;
  readonly transport: string;
  readonly caseId: string;
  readonly baselineId: string;
  /** What is compared: throughput (case ÷ baseline ≥ target), latency (case p99 < target µs), cpu (case ÷ baseline CPU/op ≤ target). */
  readonly metric: "throughput" | "latency" | "cpu";
  /** null: a diagnostic pair, reported without a target. */
  readonly target: number | null;
}

const PAIRS: readonly Pair[] = [
  { id: "rest-max", group: "rest", title: "GetFeatures REST req/s vs JSON echo", transport: "HTTP/1.1", caseId: "rest", baselineId: "echo", metric: "throughput", target: 0.5 },
  { id: "rest-open", group: "open", title: "GetFeatures REST latency, open loop", transport: "HTTP/1.1", caseId: "rest-open", baselineId: "echo-open", metric: "latency", target: 2000 },
  { id: "connect-json", group: "connect", title: "Connect JSON vs empty handler", transport: "HTTP/1.1", caseId: "connect-json", baselineId: "empty-json", metric: "cpu", target: 1.15 },
  { id: "connect-proto", group: "connect", title: "Connect binary vs empty handler", transport: "HTTP/1.1", caseId: "connect-proto", baselineId: "empty-proto", metric: "cpu", target: 1.15 },
  { id: "grpc", group: "connect", title: "gRPC vs empty handler", transport: "h2c", caseId: "grpc", baselineId: "empty-grpc", metric: "cpu", target: 1.15 },
  // Diagnostics: the empty handler inside Tessera's HTTP stack splits the Connect binary ratio into
  // what the stack costs and what serving costs.
  { id: "stack", group: "connect", title: "diag: empty handler in Tessera's HTTP stack vs plain", transport: "HTTP/1.1", caseId: "stack-proto", baselineId: "empty-proto", metric: "cpu", target: null },
  { id: "serving", group: "connect", title: "diag: Connect binary vs empty handler in the stack", transport: "HTTP/1.1", caseId: "connect-proto", baselineId: "stack-proto", metric: "cpu", target: null },
];

interface Measurement {
  readonly round: number;
  readonly caseId: string;
  /** What the case measures, for readers of the results file. */
  readonly label: string;
  readonly sample: Sample;
}

async function measure(c: Case, round: number | null, out: Measurement[], failures: Map<string, string>): Promise<void> {
  if (failures.has(c.id)) return;
  let s: Sample;
  try {
    s = await c.run(round === null ? PRIME : MEASURE);
    if (s.errors > 0) throw new Error(`${s.errors} errors, first: ${s.firstError}`);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    failures.set(c.id, reason);
    log(`  ${c.id}: FAILED ${reason}`);
    return;
  }
  if (round === null) return;
  out.push({ round, caseId: c.id, label: c.label, sample: s });
  const f = (v: number | null, d = 0) => (v === null || Number.isNaN(v) ? "-" : v.toFixed(d));
  log(
    `  round ${round} ${c.id.padEnd(13)} ${f(s.opsPerS).padStart(7)} req/s  p50 ${f(s.p50Us)} µs  p99 ${f(s.p99Us)} µs` +
      `  client cpu ${f(s.clientCpuPct)}%  server cpu ${f(s.serverCpuPct)}% (${f(s.serverUsPerOp, 1)} µs/req)`,
  );
}

async function runGroup(group: Group, cases: readonly Case[], out: Measurement[], failures: Map<string, string>): Promise<void> {
  const byId = new Map(cases.map((c) => [c.id, c]));
  const pairs = PAIRS.filter((p) => p.group === group);
  log(`${group}: priming, then ${rounds} round(s)`);
  for (const id of new Set(pairs.flatMap((p) => [p.baselineId, p.caseId]))) await measure(byId.get(id)!, null, out, failures);
  for (let r = 0; r < rounds; r++) {
    // Each case once per round, even when it is in several pairs; pairs back to back.
    const order: string[] = [];
    for (const p of pairs) for (const id of r % 2 === 0 ? [p.baselineId, p.caseId] : [p.caseId, p.baselineId]) if (!order.includes(id)) order.push(id);
    for (const id of order) await measure(byId.get(id)!, r, out, failures);
  }
}

// --- summary --------------------------------------------------------------------------------------

interface PairSummary {
  readonly id: string;
  readonly title: string;
  readonly transport: string;
  readonly metric: Pair["metric"];
  readonly rounds: number;
  readonly notMeasured: string | null;
  readonly caseRps: number | null;
  readonly baselineRps: number | null;
  /** Case ÷ baseline req/s per round: median and spread. */
  readonly rpsRatio: { median: number; min: number; max: number } | null;
  readonly caseUsPerReq: number | null;
  readonly baselineUsPerReq: number | null;
  /** Case ÷ baseline server CPU per request per round: median and spread. */
  readonly cpuRatio: { median: number; min: number; max: number } | null;
  readonly caseP50Us: number | null;
  readonly caseP99Us: number | null;
  readonly baselineP50Us: number | null;
  readonly baselineP99Us: number | null;
  readonly caseP999Us: number | null;
  readonly caseSendLagP99Us: number | null;
  readonly caseClientCpuPct: number | null;
  readonly caseServerCpuPct: number | null;
  readonly caseReplyBytes: number | null;
  readonly baselineReplyBytes: number | null;
  readonly target: number | null;
  readonly meetsTarget: boolean | null;
}

function nmedian(values: readonly (number | null | undefined)[]): number | null {
  const v = values.filter((x): x is number => typeof x === "number" && !Number.isNaN(x));
  return v.length === 0 ? null : median(v);
}

function spread(values: readonly (number | null)[]): { median: number; min: number; max: number } | null {
  const v = values.filter((x): x is number => x !== null && !Number.isNaN(x));
  return v.length === 0 ? null : { median: median(v), ...range(v) };
}

function summarize(pair: Pair, ms: readonly Measurement[], failures: Map<string, string>): PairSummary {
  const cs = ms.filter((m) => m.caseId === pair.caseId);
  const bs = ms.filter((m) => m.caseId === pair.baselineId);
  const both = cs.map((c) => c.round).filter((r) => bs.some((b) => b.round === r));
  const at = (xs: readonly Measurement[], r: number) => xs.find((x) => x.round === r)!.sample;
  const rpsRatio = spread(both.map((r) => at(cs, r).opsPerS / at(bs, r).opsPerS));
  const cpuRatio = spread(
    both.map((r) => {
      const a = at(cs, r).serverUsPerOp;
      const b = at(bs, r).serverUsPerOp;
      return a === null || b === null ? null : a / b;
    }),
  );
  const caseP99Us = nmedian(cs.map((x) => x.sample.p99Us));
  const meetsTarget =
    both.length === 0 || pair.target === null
      ? null
      : pair.metric === "throughput"
        ? rpsRatio !== null && rpsRatio.median >= pair.target
        : pair.metric === "latency"
          ? caseP99Us !== null && caseP99Us < pair.target
          : cpuRatio !== null && cpuRatio.median <= pair.target;
  return {
    id: pair.id,
    title: pair.title,
    transport: pair.transport,
    metric: pair.metric,
    rounds: both.length,
    notMeasured: both.length > 0 ? null : (failures.get(pair.caseId) ?? failures.get(pair.baselineId) ?? "not run"),
    caseRps: nmedian(cs.map((x) => x.sample.opsPerS)),
    baselineRps: nmedian(bs.map((x) => x.sample.opsPerS)),
    rpsRatio,
    caseUsPerReq: nmedian(cs.map((x) => x.sample.serverUsPerOp)),
    baselineUsPerReq: nmedian(bs.map((x) => x.sample.serverUsPerOp)),
    cpuRatio,
    caseP50Us: nmedian(cs.map((x) => x.sample.p50Us)),
    caseP99Us,
    baselineP50Us: nmedian(bs.map((x) => x.sample.p50Us)),
    baselineP99Us: nmedian(bs.map((x) => x.sample.p99Us)),
    caseP999Us: nmedian(cs.map((x) => x.sample.open?.p999Us)),
    caseSendLagP99Us: nmedian(cs.map((x) => x.sample.open?.sendLagP99Us)),
    caseClientCpuPct: nmedian(cs.map((x) => x.sample.clientCpuPct)),
    caseServerCpuPct: nmedian(cs.map((x) => x.sample.serverCpuPct)),
    caseReplyBytes: cs.find((x) => x.sample.replyBytes !== null)?.sample.replyBytes ?? null,
    baselineReplyBytes: bs.find((x) => x.sample.replyBytes !== null)?.sample.replyBytes ?? null,
    target: pair.target,
    meetsTarget,
  };
}

function renderTables(summaries: readonly PairSummary[], inproc: readonly ConnectPathResult[]): string {
  const n = (v: number | null, d = 0) => (v === null || Number.isNaN(v) ? null : Number(v.toFixed(d)));
  const ratioCell = (r: PairSummary["rpsRatio"]) => (r === null ? null : `${r.median.toFixed(2)} (${r.min.toFixed(2)}–${r.max.toFixed(2)})`);
  const ok = (s: PairSummary) => (s.target === null ? null : s.meetsTarget === null ? "n/m" : s.meetsTarget ? "yes" : "NO");
  const target = (s: PairSummary) =>
    s.target === null ? null : s.metric === "throughput" ? `≥ ${s.target} × req/s` : s.metric === "latency" ? `p99 < ${s.target / 1000} ms` : `≤ ${s.target} × cpu/req`;
  const thr = summaries.filter((s) => s.metric !== "latency");
  const lat = summaries.filter((s) => s.metric === "latency");
  const t1 = formatTable(
    [
      { header: "measure", value: (s: PairSummary) => s.title },
      { header: "wire", value: (s) => s.transport },
      { header: "tessera req/s", value: (s) => n(s.caseRps) },
      { header: "baseline req/s", value: (s) => n(s.baselineRps) },
      { header: "req/s ratio (range)", value: (s) => ratioCell(s.rpsRatio) },
      { header: "srv µs/req", value: (s) => n(s.caseUsPerReq, 1), digits: 1 },
      { header: "base µs/req", value: (s) => n(s.baselineUsPerReq, 1), digits: 1 },
      { header: "cpu/req ratio (range)", value: (s) => ratioCell(s.cpuRatio) },
      { header: "target", value: target },
      { header: "ok", value: ok },
      { header: "client cpu%", value: (s) => n(s.caseClientCpuPct) },
      { header: "reply B", value: (s) => n(s.caseReplyBytes) },
      { header: "base reply B", value: (s) => n(s.baselineReplyBytes) },
    ],
    thr,
  );
  const t2 = formatTable(
    [
      { header: "measure", value: (s: PairSummary) => s.title },
      { header: "rate/s", value: (s) => n(s.caseRps) },
      { header: "p50 µs", value: (s) => n(s.caseP50Us) },
      { header: "p99 µs", value: (s) => n(s.caseP99Us) },
      { header: "p99.9 µs", value: (s) => n(s.caseP999Us) },
      { header: "echo p50 µs", value: (s) => n(s.baselineP50Us) },
      { header: "echo p99 µs", value: (s) => n(s.baselineP99Us) },
      { header: "send lag p99 µs", value: (s) => n(s.caseSendLagP99Us) },
      { header: "srv cpu%", value: (s) => n(s.caseServerCpuPct) },
      { header: "target", value: target },
      { header: "ok", value: ok },
    ],
    lat,
  );
  const t3 = formatTable(
    [
      { header: "Connect handler work in process (no HTTP stack)", value: (r: ConnectPathResult) => `GetFeatures, Connect ${r.codec}` },
      { header: "empty µs/call", value: (r) => n(r.emptyUs, 1), digits: 1 },
      { header: "tessera µs/call", value: (r) => n(r.tesseraUs, 1), digits: 1 },
      { header: "ratio (range)", value: (r) => `${r.ratio.median.toFixed(2)} (${r.ratio.min.toFixed(2)}–${r.ratio.max.toFixed(2)})` },
    ],
    inproc,
  );
  const missing = summaries.filter((s) => s.notMeasured !== null).map((s) => `not measured: ${s.title}: ${s.notMeasured}`);
  const parts = [...(thr.length > 0 ? [t1] : []), ...(lat.length > 0 ? [t2] : []), ...(inproc.length > 0 ? [t3] : []), ...(missing.length > 0 ? [missing.join("\n")] : [])];
  return parts.join("\n\n");
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

// --- main -----------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const work = getFeaturesWorkload(quick ? 2000 : 10_000, entities, metadataMode);
  log(`serving: starting Tessera, the JSON echo and the load generator; ${entities} entities, ${FEATURES} features per request (metadata: ${metadataMode})`);
  const [tessera, echo, gen] = await Promise.all([spawnTessera(["--test-mode"]), spawnBareEcho(undefined, { json: true }), TcpLoadGenerator.start()]);
  const stops: (() => Promise<unknown>)[] = [() => tessera.stop(), () => echo.stop(), () => gen.close()];
  try {
    const t0 = performance.now();
    const { connectJsonReply } = await prepareTessera(tessera, entities, work.jsonBodies[0]!);
    log(`  registered and preloaded in ${Math.round(performance.now() - t0)} ms`);
    const [empty, stacked] = await Promise.all([spawnEmptyConnect(connectJsonReply), spawnEmptyConnect(connectJsonReply, [], "tessera")]);
    stops.push(() => empty.stop(), () => stacked.stop());
    await checkReplies(tessera.url, empty, work, metadataMode);

    const tape = (url: string, path: string, contentType: string, bodies: readonly Buffer[]) =>
      gen.saveTape(buildHttp1Tape("POST", path, new URL(url).host, { "content-type": contentType }, bodies));
    const tapes = {
      restTessera: tape(tessera.url, REST_PATH, "application/json", work.jsonBodies),
      restEcho: tape(echo.url, REST_PATH, "application/json", work.jsonBodies),
      jsonTessera: tape(tessera.url, RPC_PATH, "application/json", work.jsonBodies),
      jsonEmpty: tape(empty.url, RPC_PATH, "application/json", work.jsonBodies),
      protoTessera: tape(tessera.url, RPC_PATH, "application/proto", work.protoBodies),
      protoEmpty: tape(empty.url, RPC_PATH, "application/proto", work.protoBodies),
      protoStacked: tape(stacked.url, RPC_PATH, "application/proto", work.protoBodies),
    };
    const openRate = { rps: null as number | null };
    const hostPort = (url: string) => ({ host: new URL(url).hostname, port: Number(new URL(url).port) });
    const closed = (url: string, tapePath: string, pid: number) => (t: Timing) =>
      gen.run({ protocol: "http1", kind: "closed", ...hostPort(url), connections, depth: 1, ...t, tapePath, expectOp: 200, observePids: [pid] }).then(fromGenerator);
    const open = (url: string, tapePath: string, pid: number) => (t: Timing) => {
      if (openRate.rps === null) throw new Error("no open-loop rate: the REST max case did not run");
      return gen
        .run({ protocol: "http1", kind: "open", ...hostPort(url), connections, ratePerS: openRate.rps, drainTimeoutMs: 10_000, spin, ...t, tapePath, expectOp: 200, observePids: [pid] })
        .then(fromGenerator);
    };
    const grpc: RequestSpec = { method: "POST", path: RPC_PATH, headers: { "content-type": "application/grpc", te: "trailers" }, bodies: work.grpcBodies };
    const h2 = (url: string, pid: number) => (t: Timing) =>
      loadH2(url, grpc, { ...t, concurrency: connections, sessions: 1, validate: expectGrpcOk, observePids: [pid] }).then(fromH2);
    const cases: Case[] = [
      { id: "echo", group: "rest", label: "bare node http JSON echo", run: closed(echo.url, tapes.restEcho, echo.pid) },
      { id: "rest", group: "rest", label: "tessera REST get-features", run: closed(tessera.url, tapes.restTessera, tessera.pid) },
      { id: "echo-open", group: "open", label: "JSON echo, same rate", run: open(echo.url, tapes.restEcho, echo.pid) },
      { id: "rest-open", group: "open", label: "tessera REST get-features, open loop", run: open(tessera.url, tapes.restTessera, tessera.pid) },
      { id: "empty-json", group: "connect", label: "empty handler, Connect JSON", run: closed(empty.url, tapes.jsonEmpty, empty.pid) },
      { id: "connect-json", group: "connect", label: "tessera Connect JSON", run: closed(tessera.url, tapes.jsonTessera, tessera.pid) },
      { id: "empty-proto", group: "connect", label: "empty handler, Connect binary", run: closed(empty.url, tapes.protoEmpty, empty.pid) },
      { id: "connect-proto", group: "connect", label: "tessera Connect binary", run: closed(tessera.url, tapes.protoTessera, tessera.pid) },
      { id: "stack-proto", group: "connect", label: "empty handler in Tessera's HTTP stack, Connect binary", run: closed(stacked.url, tapes.protoStacked, stacked.pid) },
      { id: "empty-grpc", group: "connect", label: "empty handler, gRPC", run: h2(empty.h2cUrl, empty.pid) },
      { id: "grpc", group: "connect", label: "tessera gRPC", run: h2(tessera.url, tessera.pid) },
    ];

    const ms: Measurement[] = [];
    const failures = new Map<string, string>();
    if (groups.has("rest")) await runGroup("rest", cases, ms, failures);
    const restMax = nmedian(ms.filter((m) => m.caseId === "rest").map((m) => m.sample.opsPerS));
    openRate.rps = restMax === null ? null : Math.round(restMax * openFraction);
    if (groups.has("open")) {
      log(`open loop at ${openFraction} × max REST rate: ${openRate.rps ?? "-"}/s`);
      await runGroup("open", cases, ms, failures);
    }
    if (groups.has("connect")) await runGroup("connect", cases, ms, failures);
    let inproc: ConnectPathResult[] = [];
    if (groups.has("inproc")) {
      log("inproc: the Connect handler's work in this process, no HTTP stack");
      // The servers stay up but idle: only this process works.
      inproc = measureConnectPath(entities, metadataMode, quick ? 3 : 7, quick ? 2000 : 10_000);
    }

    const summaries = PAIRS.filter((p) => groups.has(p.group)).map((p) => summarize(p, ms, failures));
    const conditions = {
      quick,
      rounds,
      durationS,
      warmupS,
      schedule: "prime every case once; per round each baseline/case pair back to back (baseline first in even rounds); ratios within a round, medians over rounds",
      connections,
      grpc: `${connections} streams in flight on 1 h2c session`,
      entities,
      keys: `uniform over the ${entities} preloaded entities (${work.jsonBodies.length} pre-built requests cycled)`,
      service: `${TABLES} tables × ${FEATURES_PER_TABLE} features = ${FEATURES} features, 1 join key (user); ${FEATURE_SUMMARY}`,
      metadata: metadataMode === "names" ? "metadataOptions {includeNames, includeDataTypes} (the official clients' default)" : "no metadataOptions (the server default)",
      requestJsonBytes: work.jsonBytes,
      requestProtoBytes: work.protoBytes,
      data: "2 events per entity in one 1-day tile, pushed via /push_batch with the test clock pinned; reads at the clock 36 h later (every window holds them, every feature PRESENT)",
      openLoop: { fractionOfMax: openFraction, rateRps: openRate.rps, spin, latencyFrom: "due (scheduled) time" },
      baselines: {
        rest: "bare node http JSON echo (bench/lib/bare-echo-child.ts, BENCH_ECHO_JSON=1): reads the body, JSON.parse, replies JSON.stringify of a 3-field object",
        connect: "empty connect-node FeatureService (bench/serving/empty-connect-child.ts): connectNodeAdapter defaults, GetFeatures returns one fixed GetFeaturesResponse decoded from Tessera's own reply (same size), HTTP/1.1 and h2c listeners",
        connectInTesseraStack: "diagnostic: the same empty FeatureService behind Tessera's dual-protocol front, REST router (Tecton routes) and createConnectHandler with metrics (bench/serving/empty-connect-stack-child.ts)",
      },
      loadGenerators: "HTTP/1.1 (REST, Connect JSON and binary; closed and open loop): a separate process sending pre-encoded requests from a tape, one in flight per keep-alive connection, responses only framed (bench/lib/tcp-load.ts, protocol http1); gRPC: node:http2 in the bench process, pre-framed messages (bench/lib/load.ts)",
      server: "tessera serve --memory-only --auth off --tcp off --test-mode --log-level warn, on loopback (bench/lib/tessera-server.ts)",
      tesseraCommit: gitDescribe(),
      ...machine,
    };
    const tables = renderTables(summaries, inproc);
    const condLines = [
      `service: ${conditions.service}`,
      `requests: ${conditions.metadata}; ${work.jsonBytes} B JSON, ${work.protoBytes} B protobuf; ${conditions.keys}`,
      `data: ${conditions.data}`,
      `load: ${connections} keep-alive connections, 1 request in flight each (closed loop); gRPC ${conditions.grpc}; open loop at ${openFraction} × median max REST rate, latency from the due time, spin ${spin}`,
      `timing: ${durationS} s measured + ${warmupS} s warm-up per measurement, ${rounds} round(s), medians reported`,
      `node ${machine.node}, ${machine.cpuModel} × ${machine.cores} cores, load avg at start ${machine.loadAvg.join(" ")}`,
      `tessera: ${conditions.tesseraCommit}`,
    ];
    const title = `Tessera serving vs in-run baselines (${startedAt.toISOString()}${quick ? ", --quick" : ""})`;
    const legend =
      "req/s ratio = tessera ÷ baseline req/s in the same round; cpu/req ratio = tessera server CPU per request ÷ the baseline's (median, range over rounds);\n" +
      "srv / base µs/req = server process CPU per request (from /proc); latency = open loop, from the due time;\n" +
      "in process: CPU µs per call of request decode + handler + reply encode (empty: a fixed same-size reply), alternating, medians.";
    process.stdout.write(`\n${title}\n\n${tables}\n\n${condLines.join("\n")}\n\n${legend}\n`);

    const path = await writeResult("serving", startedAt, {
      bench: "serving",
      startedAt: startedAt.toISOString(),
      conditions,
      pairs: summaries,
      connectPathInProcess: inproc,
      failures: Object.fromEntries(failures),
      measurements: ms.map((m) => ({ round: m.round, caseId: m.caseId, label: m.label, ...m.sample })),
    });
    const md = `# ${title}\n\n\`\`\`\n${tables}\n\`\`\`\n\n${condLines.map((l) => `- ${l}`).join("\n")}\n\n${legend.replaceAll("\n", " ")}\n`;
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
