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
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { DataPlaneService } from "../../gen/tessera/dataplane/v1/data_plane_service_pb.ts";
import { spawnBareEcho } from "../lib/bare-echo.ts";
import { spawnBareFrameEcho } from "../lib/bare-frame-echo.ts";
import { positive, ROUND_FLAGS, roundPlan, scheduleConditions } from "../lib/flags.ts";
import { gitDescribe } from "../lib/git-describe.ts";
import { machineFacts } from "../lib/machine.ts";
import { publishReport } from "../lib/results.ts";
import { runMain } from "../lib/run-main.ts";
import { casesOf, newRoundsState, paired, runRounds, type BenchCase, type CasePair, type RoundHooks, type Stage } from "../lib/rounds.ts";
import { cpuPerOpRatio, sampleLine, type OpenLoopStats, type Sample } from "../lib/sample.ts";
import { nmedian, spread, type Spread } from "../lib/stats.ts";
import { formatTable } from "../lib/table.ts";
import { TcpLoadGenerator } from "../lib/tcp-load.ts";
import { spawnTessera } from "../lib/tessera-server.ts";
import { getPairs, PUSH_TARGETS, pushPairs, type OpenRates } from "./cases.ts";
import { loadPushStream, type PushStreamResult } from "./push-stream-load.ts";
import { checkPreloaded, preload, probe, register } from "./setup.ts";
import { FEATURE_SUMMARY, getWorkload, preloadBatches, pushWorkload, ZIPF_S } from "./workload.ts";

// --- arguments ------------------------------------------------------------------------------------

const { values: argv } = parseArgs({
  options: {
    ...ROUND_FLAGS,
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

const plan = roundPlan(argv);
const { quick, rounds, durationS, warmupS, measure, prime } = plan;
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

function log(s: string): void {
  process.stderr.write(`${s}\n`);
}

function fromStream(r: PushStreamResult): Sample {
  return {
    opsPerS: r.eventsPerS,
    p50Us: r.streamMsMedian * 1000,
    p99Us: Number.NaN,
    p999Us: Number.NaN,
    clientCpuPct: r.clientCpuPct,
    serverCpuPct: r.serverCpuPct,
    serverUsPerOp: r.serverUsPerEvent,
    errors: r.errors,
    firstError: r.firstError,
    open: null,
    reply: r.sample,
    replyBytes: null,
  };
}

// --- pairs ----------------------------------------------------------------------------------------

type Group = "push" | "get" | "open";

/** A case measured against a baseline in the same round; ratio = case ops/s ÷ baseline ops/s. */
interface Pair extends CasePair {
  readonly id: string;
  readonly group: Group;
  readonly title: string;
  readonly transport: "HTTP/1.1" | "TCP" | "gRPC h2c";
  /** Minimum acceptable ratio, if the issue sets one. */
  readonly target: number | null;
  /** Open loop: compare latencies instead of throughput. */
  readonly latency?: boolean;
}

const st = newRoundsState();

const hooks: RoundHooks = {
  onFailed: (c, round, reason) => log(`  ${round === null ? "prime" : `round ${round}`} ${c.id}: FAILED ${reason}`),
  onMeasured: (c, round, s) => log(`  round ${round} ${c.id.padEnd(19)} ${sampleLine(s, "ops/s", "op")}`),
};

function finalFailure(c: BenchCase): string | undefined {
  return st.failures.find((f) => f.final && f.caseId === c.id)?.reason;
}

/** Open-loop failures (an overload on a busy machine) are per round: the case runs again next round. */
function roundFailures(c: BenchCase): string[] {
  return st.failures.filter((f) => !f.final && f.caseId === c.id).map((f) => `round ${f.round}: ${f.reason}`);
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
  readonly ratio: Spread | null;
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

function summarize(pair: Pair): PairSummary {
  const p = paired(st, pair);
  const measured = p.rounds.length > 0;
  const failedRounds = [...roundFailures(pair.subject), ...roundFailures(pair.baseline)];
  const notMeasured = measured ? null : (finalFailure(pair.subject) ?? finalFailure(pair.baseline) ?? (failedRounds.length > 0 ? failedRounds.join("; ") : "not run"));
  const ratio = measured ? spread(p.per((s, b) => s.opsPerS / b.opsPerS)) : null;
  const med = (xs: readonly Sample[], f: (s: Sample) => number | null) => nmedian(xs.map(f));
  const open = (xs: readonly Sample[], f: (s: Sample, o: OpenLoopStats) => number) => med(xs, (s) => (s.open === null ? null : f(s, s.open))) ?? Number.NaN;
  return {
    id: pair.id,
    title: pair.title,
    transport: pair.transport,
    measured,
    notMeasured,
    failedRounds,
    rounds: p.rounds.length,
    caseOpsPerS: med(p.subject, (s) => s.opsPerS),
    baselineOpsPerS: med(p.baseline, (s) => s.opsPerS),
    ratio,
    target: pair.target,
    meetsTarget: pair.target === null || ratio === null ? null : ratio.median >= pair.target,
    caseServerUsPerOp: med(p.subject, (s) => s.serverUsPerOp),
    baselineServerUsPerOp: med(p.baseline, (s) => s.serverUsPerOp),
    cpuPerOpRatio: nmedian(p.per(cpuPerOpRatio)),
    caseServerCpuPct: med(p.subject, (s) => s.serverCpuPct),
    caseClientCpuPct: med(p.subject, (s) => s.clientCpuPct),
    baselineClientCpuPct: med(p.baseline, (s) => s.clientCpuPct),
    caseP50Us: med(p.subject, (s) => s.p50Us),
    caseP99Us: med(p.subject, (s) => s.p99Us),
    baselineP50Us: med(p.baseline, (s) => s.p50Us),
    baselineP99Us: med(p.baseline, (s) => s.p99Us),
    p50Ratio: pair.latency && measured ? nmedian(p.per((s, b) => s.p50Us / b.p50Us)) : null,
    p99Ratio: pair.latency && measured ? nmedian(p.per((s, b) => s.p99Us / b.p99Us)) : null,
    open:
      pair.latency && measured
        ? {
            rateRps: open(p.subject, (s) => s.opsPerS),
            caseP90Us: open(p.subject, (_s, o) => o.p90Us),
            caseP999Us: open(p.subject, (s) => s.p999Us),
            caseMaxUs: open(p.subject, (_s, o) => o.maxUs),
            caseSendLagP99Us: open(p.subject, (_s, o) => o.sendLagP99Us),
            baselineSendLagP99Us: open(p.baseline, (_s, o) => o.sendLagP99Us),
          }
        : null,
    caseReplyBytes: p.subject.find((x) => x.replyBytes !== null)?.replyBytes ?? null,
    baselineReplyBytes: p.baseline.find((x) => x.replyBytes !== null)?.replyBytes ?? null,
  };
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
  const pushWork = pushWorkload(pushEvents, entities, streamEvents);
  const getWork = getWorkload(quick ? 20_000 : 50_000, entities);
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
      const data = JSON.parse(pushWork.httpBodies[0]!.toString()).data;
      const res = await client.pushStream((async function* () {
        for (let i = 0; i < 3; i++) yield { event: "txn", data };
      })());
      if (Number(res.accepted) !== 3) throw new Error(`PushStream via connect-node: ${JSON.stringify(res)}`);
    }

    const servers = { tessera, jsonEcho, frameEcho };
    const load = { gen, connections, depth };
    const push = pushPairs(load, servers, pushWork);
    const openRate: OpenRates = { http: null, tcp: null };
    const get = getPairs(load, servers, getWork, { rates: openRate, spin, drainTimeoutMs: 10_000 });
    const stream: BenchCase = {
      id: "grpc-push-stream",
      label: `tessera gRPC PushStream (${streamEvents} ev/stream)`,
      check: (r) => {
        const s = r as PushStreamResult["sample"];
        if (s === null || s.accepted + s.replayed !== streamEvents) throw new Error(`PushStream summary ${JSON.stringify(s)}`);
      },
      run: (t) => loadPushStream(tessera.url, pushWork.grpcStreamBody, { streams, events: streamEvents, ...t, observePid: tessera.pid }).then(fromStream),
    };
    const pairs: readonly Pair[] = [
      { id: "push-http", group: "push", title: "push events/s, HTTP/1.1 POST /push vs JSON echo", transport: "HTTP/1.1", ...push.http, target: PUSH_TARGETS.http },
      { id: "push-tcp", group: "push", title: `push events/s, TCP msgpack depth ${depth} vs frame echo`, transport: "TCP", ...push.tcp, target: PUSH_TARGETS.tcp },
      { id: "push-stream", group: "push", title: "push events/s, gRPC PushStream vs HTTP push", transport: "gRPC h2c", subject: stream, baseline: push.http.subject, target: null },
      { id: "get-http", group: "get", title: "get max req/s, HTTP/1.1 POST /get vs JSON echo", transport: "HTTP/1.1", ...get.max.http, target: null },
      { id: "get-tcp", group: "get", title: `get max req/s, TCP msgpack depth ${depth} vs frame echo`, transport: "TCP", ...get.max.tcp, target: null },
      { id: "open-http", group: "open", title: "get latency, HTTP/1.1 open loop", transport: "HTTP/1.1", ...get.open.http, target: null, latency: true },
      { id: "open-tcp", group: "open", title: "get latency, TCP open loop", transport: "TCP", ...get.open.tcp, target: null, latency: true },
    ];
    // A transport still being written does not answer: its cases, and the echoes that would run at
    // its open-loop rate, are left out with the reason.
    const unavailable = new Map<BenchCase, string | null>([[stream, av.grpc]]);
    for (const c of [push.http.subject, get.max.http.subject, get.open.http.subject, get.open.http.baseline]) unavailable.set(c, av.http);
    for (const c of [push.tcp.subject, get.max.tcp.subject, get.open.tcp.subject, get.open.tcp.baseline]) unavailable.set(c, av.tcp);
    const runStages = async (name: string, stages: readonly Stage[]): Promise<void> => {
      const all = casesOf(stages.flatMap((s) => s.pairs));
      for (const c of all) {
        const why = unavailable.get(c) ?? null;
        if (why !== null) st.failures.push({ caseId: c.id, label: c.label, round: null, reason: `not available: ${why}`, final: true });
      }
      const primed = casesOf(stages.filter((s) => s.prime !== false).flatMap((s) => s.pairs)).filter((c) => (unavailable.get(c) ?? null) === null);
      log(`${name}: priming ${primed.length} cases, then ${rounds} round(s)`);
      await runRounds(stages, { rounds, measure, prime, hooks }, st);
    };
    const inGroup = (g: Group) => pairs.filter((p) => p.group === g);
    if (groups.has("push")) await runStages("push", [{ pairs: inGroup("push") }]);
    if (groups.has("get") || groups.has("open")) {
      // The open-loop rate of a round is openFraction × the max get rate Tessera reached in that same
      // round, just before: on a shared machine the capacity drifts, and a rate taken from an earlier
      // median can overload the server (unbounded queueing) or leave it idle.
      const rateFor = (c: BenchCase, round: number): number | null => {
        const same = st.measurements.find((m) => m.caseId === c.id && m.round === round)?.sample.opsPerS;
        const v = same ?? nmedian(st.measurements.filter((m) => m.caseId === c.id).map((m) => m.sample.opsPerS));
        return v === null ? null : Math.round(v * openFraction);
      };
      const openStage: Stage = {
        pairs: inGroup("open"),
        prime: false,
        retry: true,
        before: (round) => {
          openRate.http = rateFor(get.max.http.subject, round);
          openRate.tcp = rateFor(get.max.tcp.subject, round);
          log(`  open loop, round ${round}: ${openFraction} × this round's max get → HTTP ${openRate.http ?? "-"}/s, TCP ${openRate.tcp ?? "-"}/s`);
        },
      };
      await runStages(groups.has("open") ? "get+open" : "get", [{ pairs: inGroup("get") }, ...(groups.has("open") ? [openStage] : [])]);
    }

    const summaries = pairs.filter((p) => groups.has(p.group) || (p.group === "get" && groups.has("open"))).map(summarize);
    const conditions = {
      ...scheduleConditions(plan),
      connections,
      tcpDepth: depth,
      tcpInFlight: connections * depth,
      entities,
      keyDistribution: `push: zipf(s=${ZIPF_S}) over ${entities} user keys (${pushWork.distinctUsers} distinct in the ${pushEvents} pre-built events); get: uniform over the ${entities} preloaded entities`,
      table: `1 table, 12 features: ${FEATURE_SUMMARY}`,
      pushJsonBytesMean: Math.round(pushWork.meanJsonBytes * 10) / 10,
      pushMsgpackPayloadBytesMean: Math.round(pushWork.meanMsgpackPayloadBytes * 10) / 10,
      pushProtoMessageBytesMean: Math.round(pushWork.meanProtoBytes * 10) / 10,
      getJsonBytes: getWork.jsonBytes,
      getMsgpackPayloadBytes: getWork.msgpackPayloadBytes,
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
    const title = `Tessera data plane vs in-run baselines (${startedAt.toISOString()}${quick ? ", --quick" : ""})`;
    const legend =
      "ratio = tessera ops/s ÷ baseline ops/s in the same round (median, range over rounds); srv µs/op = server CPU per op;\n" +
      "cpu/op ratio = tessera server CPU per op ÷ the baseline's; latency ratios = tessera ÷ echo at the same arrival rate.";
    const condLines = [
      `table: ${conditions.table}`,
      `keys: ${conditions.keyDistribution}`,
      `push body: ~${conditions.pushJsonBytesMean} B JSON (HTTP), ~${conditions.pushMsgpackPayloadBytesMean} B msgpack payload (TCP), ~${conditions.pushProtoMessageBytesMean} B proto (gRPC)`,
      `get body: ${getWork.jsonBytes} B JSON, ${getWork.msgpackPayloadBytes} B msgpack`,
      `connections: ${connections} (HTTP keep-alive, 1 request in flight each; TCP depth ${depth} → ${connections * depth} in flight); PushStream: ${streams} streams × ${streamEvents} events on 1 h2c session`,
      `open loop: per round ${openFraction} × that round's Tessera max get rate (echo at the same rate), latency from the due time, spin ${spin}`,
      `timing: ${durationS} s measured + ${warmupS} s warm-up per measurement, ${rounds} round(s), medians reported`,
      `node ${machine.node}, ${machine.cpuModel} × ${machine.cores} cores, load avg at start ${machine.loadAvg.join(" ")}`,
      `tessera: ${conditions.tesseraCommit}`,
    ];
    await publishReport(
      "dataplane",
      startedAt,
      {
        bench: "dataplane",
        startedAt: startedAt.toISOString(),
        conditions,
        pairs: summaries,
        failures: Object.fromEntries(st.failures.filter((f) => f.final).map((f) => [f.caseId, f.reason])),
        measurements: st.measurements.map((m) => ({ round: m.round, caseId: m.caseId, ...m.sample })),
      },
      { title, tables: renderTables(summaries), conditions: condLines, legend },
    );
  } finally {
    await Promise.all(stops.map((s) => s()));
  }
}

await runMain(main);
