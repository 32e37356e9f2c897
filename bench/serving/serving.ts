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
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { spawnBareEcho } from "../lib/bare-echo.ts";
import { positive, ROUND_FLAGS, roundPlan, scheduleConditions } from "../lib/flags.ts";
import { gitDescribe } from "../lib/git-describe.ts";
import { machineFacts } from "../lib/machine.ts";
import { publishReport } from "../lib/results.ts";
import { runMain } from "../lib/run-main.ts";
import { newRoundsState, paired, runRounds, type CasePair, type RoundHooks } from "../lib/rounds.ts";
import { cpuPerOpRatio, sampleLine, type Sample } from "../lib/sample.ts";
import { nmedian, spread, type Spread } from "../lib/stats.ts";
import { formatTable } from "../lib/table.ts";
import { closedLoop } from "../lib/tape-loads.ts";
import { TcpLoadGenerator } from "../lib/tcp-load.ts";
import { spawnTessera } from "../lib/tessera-server.ts";
import { hostPort, servingPairs, servingTape, TARGETS } from "./cases.ts";
import { measureConnectPath, type ConnectPathResult } from "./connect-path.ts";
import { spawnEmptyConnect } from "./empty-connect.ts";
import { checkReplies, prepareTessera } from "./setup.ts";
import { FEATURE_SUMMARY, FEATURES_PER_TABLE, getFeaturesWorkload, TABLES, type MetadataMode } from "./workload.ts";

// --- arguments ------------------------------------------------------------------------------------

const { values: argv } = parseArgs({
  options: {
    ...ROUND_FLAGS,
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

const plan = roundPlan(argv);
const { quick, rounds, durationS, warmupS, measure, prime } = plan;
const connections = Math.round(positive("connections", argv.connections));
const entities = Math.round(positive("entities", argv.entities ?? (quick ? "2000" : "10000")));
const openFraction = positive("open-fraction", argv["open-fraction"]);
const spin = !argv["no-spin"];
if (argv.metadata !== "names" && argv.metadata !== "none") throw new Error(`--metadata must be names or none, got ${argv.metadata}`);
const metadataMode: MetadataMode = argv.metadata;
const groups = new Set((argv.only ?? "rest,open,connect,inproc").split(",").map((s) => s.trim()));
if (groups.has("open")) groups.add("rest");

const FEATURES = TABLES * FEATURES_PER_TABLE;
const startedAt = new Date();
const machine = machineFacts();

function log(s: string): void {
  process.stderr.write(`${s}\n`);
}

// --- pairs ----------------------------------------------------------------------------------------

type Group = "rest" | "open" | "connect";

interface Pair extends CasePair {
  readonly id: string;
  readonly group: Group;
  readonly title: string;
  readonly transport: string;
  /** What is compared: throughput (case ÷ baseline ≥ target), latency (case p99 < target µs), cpu (case ÷ baseline CPU/op ≤ target). */
  readonly metric: "throughput" | "latency" | "cpu";
  /** null: a diagnostic pair, reported without a target. */
  readonly target: number | null;
}

const st = newRoundsState();

const hooks: RoundHooks = {
  onFailed: (c, _round, reason) => log(`  ${c.id}: FAILED ${reason}`),
  onMeasured: (c, round, s) => log(`  round ${round} ${c.id.padEnd(13)} ${sampleLine(s, "req/s", "req")}`),
};

/** Primes the group's cases, then runs its rounds; a failed case is not run again. */
async function runGroup(group: Group, pairs: readonly Pair[]): Promise<void> {
  log(`${group}: priming, then ${rounds} round(s)`);
  await runRounds([{ pairs: pairs.filter((p) => p.group === group) }], { rounds, measure, prime, hooks }, st);
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
  readonly rpsRatio: Spread | null;
  readonly caseUsPerReq: number | null;
  readonly baselineUsPerReq: number | null;
  /** Case ÷ baseline server CPU per request per round: median and spread. */
  readonly cpuRatio: Spread | null;
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

function summarize(pair: Pair): PairSummary {
  const p = paired(st, pair);
  const rpsRatio = spread(p.per((s, b) => s.opsPerS / b.opsPerS));
  const cpuRatio = spread(p.per(cpuPerOpRatio));
  const med = (xs: readonly Sample[], f: (s: Sample) => number | null | undefined) => nmedian(xs.map(f));
  const caseP99Us = med(p.subject, (s) => s.p99Us);
  const meetsTarget =
    p.rounds.length === 0 || pair.target === null
      ? null
      : pair.metric === "throughput"
        ? rpsRatio !== null && rpsRatio.median >= pair.target
        : pair.metric === "latency"
          ? caseP99Us !== null && caseP99Us < pair.target
          : cpuRatio !== null && cpuRatio.median <= pair.target;
  const failure = (id: string) => st.failures.find((f) => f.caseId === id)?.reason;
  return {
    id: pair.id,
    title: pair.title,
    transport: pair.transport,
    metric: pair.metric,
    rounds: p.rounds.length,
    notMeasured: p.rounds.length > 0 ? null : (failure(pair.subject.id) ?? failure(pair.baseline.id) ?? "not run"),
    caseRps: med(p.subject, (s) => s.opsPerS),
    baselineRps: med(p.baseline, (s) => s.opsPerS),
    rpsRatio,
    caseUsPerReq: med(p.subject, (s) => s.serverUsPerOp),
    baselineUsPerReq: med(p.baseline, (s) => s.serverUsPerOp),
    cpuRatio,
    caseP50Us: med(p.subject, (s) => s.p50Us),
    caseP99Us,
    baselineP50Us: med(p.baseline, (s) => s.p50Us),
    baselineP99Us: med(p.baseline, (s) => s.p99Us),
    caseP999Us: med(p.subject, (s) => (s.open === null ? null : s.p999Us)),
    caseSendLagP99Us: med(p.subject, (s) => s.open?.sendLagP99Us),
    caseClientCpuPct: med(p.subject, (s) => s.clientCpuPct),
    caseServerCpuPct: med(p.subject, (s) => s.serverCpuPct),
    caseReplyBytes: p.subject.find((x) => x.replyBytes !== null)?.replyBytes ?? null,
    baselineReplyBytes: p.baseline.find((x) => x.replyBytes !== null)?.replyBytes ?? null,
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

    let openRate: number | null = null;
    const sp = servingPairs({ gen, connections, spin, drainTimeoutMs: 10_000, rate: () => openRate }, work, { tessera, echo, empty });
    const stackProto = {
      id: "stack-proto",
      label: "empty handler in Tessera's HTTP stack, Connect binary",
      run: closedLoop(gen, servingTape(gen, stacked.url, "connect-proto", work), { addr: hostPort(stacked.url), pid: stacked.pid }, connections, 1),
    };
    const pairs: readonly Pair[] = [
      { id: "rest-max", group: "rest", title: "GetFeatures REST req/s vs JSON echo", transport: "HTTP/1.1", ...sp.restMax, metric: "throughput", target: TARGETS.restRatio },
      { id: "rest-open", group: "open", title: "GetFeatures REST latency, open loop", transport: "HTTP/1.1", ...sp.restOpen, metric: "latency", target: TARGETS.restP99Us },
      { id: "connect-json", group: "connect", title: "Connect JSON vs empty handler", transport: "HTTP/1.1", ...sp.connectJson, metric: "cpu", target: TARGETS.connectCpu },
      { id: "connect-proto", group: "connect", title: "Connect binary vs empty handler", transport: "HTTP/1.1", ...sp.connectProto, metric: "cpu", target: TARGETS.connectCpu },
      { id: "grpc", group: "connect", title: "gRPC vs empty handler", transport: "h2c", ...sp.grpc, metric: "cpu", target: TARGETS.connectCpu },
      // Diagnostics: the empty handler inside Tessera's HTTP stack splits the Connect binary ratio into
      // what the stack costs and what serving costs.
      { id: "stack", group: "connect", title: "diag: empty handler in Tessera's HTTP stack vs plain", transport: "HTTP/1.1", subject: stackProto, baseline: sp.connectProto.baseline, metric: "cpu", target: null },
      { id: "serving", group: "connect", title: "diag: Connect binary vs empty handler in the stack", transport: "HTTP/1.1", subject: sp.connectProto.subject, baseline: stackProto, metric: "cpu", target: null },
    ];

    if (groups.has("rest")) await runGroup("rest", pairs);
    const restMax = nmedian(st.measurements.filter((m) => m.caseId === sp.restMax.subject.id).map((m) => m.sample.opsPerS));
    openRate = restMax === null ? null : Math.round(restMax * openFraction);
    if (groups.has("open")) {
      log(`open loop at ${openFraction} × max REST rate: ${openRate ?? "-"}/s`);
      await runGroup("open", pairs);
    }
    if (groups.has("connect")) await runGroup("connect", pairs);
    let inproc: ConnectPathResult[] = [];
    if (groups.has("inproc")) {
      log("inproc: the Connect handler's work in this process, no HTTP stack");
      // The servers stay up but idle: only this process works.
      inproc = measureConnectPath(entities, metadataMode, quick ? 3 : 7, quick ? 2000 : 10_000);
    }

    const summaries = pairs.filter((p) => groups.has(p.group)).map(summarize);
    const conditions = {
      ...scheduleConditions(plan),
      connections,
      grpc: `${connections} streams in flight on 1 h2c session`,
      entities,
      keys: `uniform over the ${entities} preloaded entities (${work.jsonBodies.length} pre-built requests cycled)`,
      service: `${TABLES} tables × ${FEATURES_PER_TABLE} features = ${FEATURES} features, 1 join key (user); ${FEATURE_SUMMARY}`,
      metadata: metadataMode === "names" ? "metadataOptions {includeNames, includeDataTypes} (the official clients' default)" : "no metadataOptions (the server default)",
      requestJsonBytes: work.jsonBytes,
      requestProtoBytes: work.protoBytes,
      data: "2 events per entity in one 1-day tile, pushed via /push_batch with the test clock pinned; reads at the clock 36 h later (every window holds them, every feature PRESENT)",
      openLoop: { fractionOfMax: openFraction, rateRps: openRate, spin, latencyFrom: "due (scheduled) time" },
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
    await publishReport(
      "serving",
      startedAt,
      {
        bench: "serving",
        startedAt: startedAt.toISOString(),
        conditions,
        pairs: summaries,
        connectPathInProcess: inproc,
        failures: Object.fromEntries(st.failures.map((f) => [f.caseId, f.reason])),
        measurements: st.measurements.map((m) => ({ round: m.round, caseId: m.caseId, label: m.label, ...m.sample })),
      },
      { title, tables: renderTables(summaries, inproc), conditions: condLines, legend },
    );
  } finally {
    await Promise.all(stops.map((s) => s()));
  }
}

await runMain(main);
