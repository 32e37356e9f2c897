/**
 * Foundation bench: what Tessera's one-port HTTP front (sniffing net.Server → HTTP/1.1 or h2c, REST
 * router, Connect/gRPC handler) costs compared with a bare node http server answering the same bytes.
 *
 * Run: node_modules/.bin/node --experimental-transform-types --disable-warning=ExperimentalWarning \
 *        bench/foundation/http-front.ts [--duration-s N] [--warmup-s N] [--connections N] [--rounds N]
 *
 * The machine is small and shared, so absolute req/s drift from minute to minute; the results are
 * ratios against the baseline (bare node http echo) measured in the same run. Each round measures the
 * baseline and then every case; a case's ratio in round r is taken against the mean of the baselines
 * that bracket it (round r and round r+1), and the report gives medians over rounds.
 */
import { parseArgs } from "node:util";
import { create, fromBinary, toBinary, toJsonString } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import {
  Health,
  HealthCheckRequestSchema,
  HealthCheckResponse_ServingStatus,
  HealthCheckResponseSchema,
} from "../../gen/grpc/health/v1/health_pb.ts";
import { spawnBareEcho } from "../lib/bare-echo.ts";
import { positive } from "../lib/flags.ts";
import { gitDescribe } from "../lib/git-describe.ts";
import { expectGrpcOk, grpcFrame } from "../lib/grpc.ts";
import { expectStatus, loadH2, loadHttp1, type LoadResult, type RequestSpec, type Validate } from "../lib/load.ts";
import { machineFacts } from "../lib/machine.ts";
import { writeResult } from "../lib/results.ts";
import { runMain } from "../lib/run-main.ts";
import type { Timing } from "../lib/rounds.ts";
import { formatTable } from "../lib/table.ts";
import { median, range } from "../lib/stats.ts";
import { spawnTessera } from "../lib/tessera-server.ts";

const { values: argv } = parseArgs({
  options: {
    "duration-s": { type: "string", default: "3" },
    "warmup-s": { type: "string", default: "1" },
    connections: { type: "string", default: "16" },
    rounds: { type: "string", default: "3" },
  },
});

const durationS = positive("duration-s", argv["duration-s"]);
const warmupS = positive("warmup-s", argv["warmup-s"]);
const connections = Math.round(positive("connections", argv.connections));
const rounds = Math.round(positive("rounds", argv.rounds));

const startedAt = new Date();
const machine = machineFacts();

// --- requests, built once -------------------------------------------------------------------------

const CHECK_PATH = "/grpc.health.v1.Health/Check";
const checkRequest = create(HealthCheckRequestSchema, { service: "" });
const healthGet: RequestSpec = { method: "GET", path: "/health" };
const connectJson: RequestSpec = {
  method: "POST",
  path: CHECK_PATH,
  headers: { "content-type": "application/json", "connect-protocol-version": "1" },
  body: Buffer.from(toJsonString(HealthCheckRequestSchema, checkRequest)),
};
const grpcCheck: RequestSpec = {
  method: "POST",
  path: CHECK_PATH,
  headers: { "content-type": "application/grpc+proto", te: "trailers" },
  body: grpcFrame(toBinary(HealthCheckRequestSchema, checkRequest)),
};

// --- servers --------------------------------------------------------------------------------------

const [echo, tessera] = await Promise.all([spawnBareEcho(), spawnTessera()]);
const children = [echo, tessera];
/** Checks with the real Connect clients that the server answers what the raw requests will ask. */
async function preflight(): Promise<void> {
  const rest = await fetch(`${tessera.url}/health`);
  const restBody = (await rest.json()) as { status?: string };
  if (rest.status !== 200 || restBody.status !== "ok") throw new Error(`GET /health: ${rest.status} ${JSON.stringify(restBody)}`);
  for (const transport of [
    createConnectTransport({ baseUrl: tessera.url, httpVersion: "1.1" }),
    createGrpcTransport({ baseUrl: tessera.url }),
  ]) {
    const res = await createClient(Health, transport).check(checkRequest);
    if (res.status !== HealthCheckResponse_ServingStatus.SERVING) throw new Error(`health Check: ${res.status}`);
  }
}

// --- cases ----------------------------------------------------------------------------------------

interface Case {
  readonly id: string;
  readonly label: string;
  readonly protocol: "http/1.1" | "h2c";
  readonly request: string;
  /** The echo case with the same protocol, for the protocol-matched ratio. */
  readonly sameProtocolBaseline: string;
  /** Throws if the sample response is not what the case claims to measure. */
  readonly checkSample?: (body: Buffer) => void;
  readonly run: (timing: Timing) => Promise<LoadResult>;
}

const MEASURE: Timing = { warmupMs: warmupS * 1000, durationMs: durationS * 1000 };
// Before round 0 every case runs once unrecorded, so the first measurements do not pay for JIT-compiling
// the load generator's and the servers' code paths that the per-measurement warm-up alone would not cover.
const PRIME: Timing = { warmupMs: 0, durationMs: warmupS * 1000 };

const BASELINE = "echo-h1";
const ECHO_H2 = "echo-h2c";

function loadOpts(timing: Timing, pid: number, validate: Validate) {
  return { ...timing, concurrency: connections, validate, observePids: [pid] };
}

const cases: readonly Case[] = [
  {
    id: BASELINE,
    label: "bare node http echo (baseline)",
    protocol: "http/1.1",
    request: "GET /health",
    sameProtocolBaseline: BASELINE,
    run: (t) => loadHttp1(echo.url, healthGet, loadOpts(t, echo.pid, expectStatus(200))),
  },
  {
    id: "tessera-rest-health",
    label: "tessera GET /health",
    protocol: "http/1.1",
    request: "GET /health",
    sameProtocolBaseline: BASELINE,
    checkSample: (body) => {
      if ((JSON.parse(body.toString()) as { status?: string }).status !== "ok") throw new Error(`/health body ${body.toString()}`);
    },
    run: (t) => loadHttp1(tessera.url, healthGet, loadOpts(t, tessera.pid, expectStatus(200))),
  },
  {
    id: "tessera-connect-json",
    label: "tessera Health/Check Connect JSON",
    protocol: "http/1.1",
    request: `POST ${CHECK_PATH} application/json ${connectJson.body?.toString()}`,
    sameProtocolBaseline: BASELINE,
    checkSample: (body) => {
      if ((JSON.parse(body.toString()) as { status?: string }).status !== "SERVING") throw new Error(`Connect body ${body.toString()}`);
    },
    run: (t) => loadHttp1(tessera.url, connectJson, loadOpts(t, tessera.pid, expectStatus(200))),
  },
  {
    id: "tessera-grpc",
    label: "tessera Health/Check gRPC",
    protocol: "h2c",
    request: `POST ${CHECK_PATH} application/grpc+proto (${grpcFrame.length} B frame), 1 session`,
    sameProtocolBaseline: ECHO_H2,
    checkSample: (body) => {
      const msg = fromBinary(HealthCheckResponseSchema, body.subarray(5, 5 + body.readUInt32BE(1)));
      if (msg.status !== HealthCheckResponse_ServingStatus.SERVING) throw new Error(`gRPC status ${msg.status}`);
    },
    run: (t) => loadH2(tessera.url, grpcCheck, { ...loadOpts(t, tessera.pid, expectGrpcOk), sessions: 1 }),
  },
  {
    id: ECHO_H2,
    label: "bare node h2c echo (reference)",
    protocol: "h2c",
    request: "GET /health, 1 session",
    sameProtocolBaseline: ECHO_H2,
    run: (t) => loadH2(echo.h2cUrl, healthGet, { ...loadOpts(t, echo.pid, expectStatus(200)), sessions: 1 }),
  },
];

// --- schedule and measurement ---------------------------------------------------------------------

interface Measurement {
  readonly round: number;
  readonly caseId: string;
  readonly result: LoadResult;
}

/** Runs one case and fails the bench on errors or broken keep-alive; records it unless `round` is null. */
async function measure(c: Case, round: number | null, out: Measurement[]): Promise<void> {
  const result = await c.run(round === null ? PRIME : MEASURE);
  if (result.errors > 0) throw new Error(`${c.id}: ${result.errors} failed requests, first: ${result.firstError}`);
  if (c.protocol === "http/1.1" && result.connectionsOpened > connections) {
    throw new Error(`${c.id}: ${result.connectionsOpened} connections for ${connections} workers: keep-alive is not holding`);
  }
  if (result.sampleResponse !== null) c.checkSample?.(result.sampleResponse.body);
  if (round === null) return;
  out.push({ round, caseId: c.id, result });
  const srv = result.observed[0]?.cpuPct;
  process.stderr.write(
    `  round ${round} ${c.id.padEnd(22)} ${Math.round(result.rps).toString().padStart(7)} req/s` +
      `  p50 ${Math.round(result.latency.p50Us)} µs  client cpu ${Math.round(result.clientCpuPct)}%` +
      `  server cpu ${srv === null || srv === undefined ? "-" : Math.round(srv)}%\n`,
  );
}

interface CaseSummary {
  readonly id: string;
  readonly label: string;
  readonly protocol: string;
  readonly request: string;
  readonly responseBytes: number | null;
  readonly rounds: number;
  readonly rpsMedian: number;
  readonly p50UsMedian: number;
  readonly p99UsMedian: number;
  /** Case req/s over the bracketing baselines' mean req/s; median and spread over rounds. */
  readonly ratioToBaseline: { median: number; min: number; max: number };
  /** The same against the echo on the case's own protocol (HTTP/1.1 or h2c), same round. */
  readonly ratioToSameProtocolEcho: number;
  readonly serverCpuPctMedian: number | null;
  readonly serverCpuUsPerReqMedian: number | null;
  /** Server CPU per request over the bracketing baselines' server CPU per request; median over rounds. */
  readonly cpuPerReqRatioToBaseline: number | null;
  readonly clientCpuPctMedian: number;
}

function nullableMedian(values: readonly (number | null | undefined)[]): number | null {
  const present = values.filter((v): v is number => typeof v === "number");
  return present.length === values.length && present.length > 0 ? median(present) : null;
}

async function run(): Promise<void> {
  const order = cases.filter((c) => c.id !== BASELINE);
  const baselineCase = cases.find((c) => c.id === BASELINE) as Case;
  const ms: Measurement[] = [];
  const perMeasurementS = durationS + warmupS;
  process.stderr.write(
    `http-front: priming, then ${rounds} rounds × ${order.length + 1} measurements + closing baseline, ` +
      `~${Math.round(cases.length * warmupS + (rounds * (order.length + 1) + 1) * perMeasurementS)} s\n`,
  );
  for (const c of cases) await measure(c, null, ms);
  for (let r = 0; r < rounds; r++) {
    await measure(baselineCase, r, ms);
    // Rotating the order keeps any one case from always running first after the baseline.
    for (let i = 0; i < order.length; i++) await measure(order[(i + r) % order.length] as Case, r, ms);
  }
  await measure(baselineCase, rounds, ms);

  const get = (id: string, round: number): LoadResult => {
    const m = ms.find((x) => x.caseId === id && x.round === round);
    if (m === undefined) throw new Error(`missing measurement ${id} round ${round}`);
    return m.result;
  };
  const bracket = (round: number, f: (r: LoadResult) => number | null): number | null => {
    const a = f(get(BASELINE, round));
    const b = f(get(BASELINE, round + 1));
    return a === null || b === null ? null : (a + b) / 2;
  };
  const serverUsPerReq = (r: LoadResult): number | null => r.observed[0]?.cpuUsPerRequest ?? null;

  const baselineRps = Array.from({ length: rounds + 1 }, (_, r) => get(BASELINE, r).rps);
  const summaries: CaseSummary[] = cases.map((c) => {
    const isBaseline = c.id === BASELINE;
    // The baseline has one more measurement than the other cases: the closing one.
    const rs = Array.from({ length: isBaseline ? rounds + 1 : rounds }, (_, i) => i);
    const results = rs.map((r) => get(c.id, r));
    // The baseline's own row shows 1 and, as its range, how far single baseline runs strayed from their
    // median: the run's drift, against which the other rows' ranges can be read.
    const ratios = isBaseline
      ? baselineRps.map((x) => x / median(baselineRps))
      : rs.map((r) => get(c.id, r).rps / (bracket(r, (x) => x.rps) as number));
    const sameProto =
      c.sameProtocolBaseline === BASELINE ? ratios : rs.map((r) => get(c.id, r).rps / get(c.sameProtocolBaseline, r).rps);
    const cpuRatios = isBaseline
      ? []
      : rs.map((r) => {
          const mine = serverUsPerReq(get(c.id, r));
          const base = bracket(r, serverUsPerReq);
          return mine === null || base === null ? null : mine / base;
        });
    const sample = results.find((x) => x.sampleResponse !== null)?.sampleResponse ?? null;
    return {
      id: c.id,
      label: c.label,
      protocol: c.protocol,
      request: c.request,
      responseBytes: sample === null ? null : sample.body.length,
      rounds: rs.length,
      rpsMedian: median(results.map((x) => x.rps)),
      p50UsMedian: median(results.map((x) => x.latency.p50Us)),
      p99UsMedian: median(results.map((x) => x.latency.p99Us)),
      ratioToBaseline: { median: isBaseline ? 1 : median(ratios), ...range(ratios) },
      ratioToSameProtocolEcho: isBaseline ? 1 : median(sameProto),
      serverCpuPctMedian: nullableMedian(results.map((x) => x.observed[0]?.cpuPct)),
      serverCpuUsPerReqMedian: nullableMedian(results.map(serverUsPerReq)),
      cpuPerReqRatioToBaseline: isBaseline ? 1 : nullableMedian(cpuRatios),
      clientCpuPctMedian: median(results.map((x) => x.clientCpuPct)),
    };
  });

  const conditions = {
    payload:
      "GET /health → {\"status\":\"ok\"} (both servers); Connect JSON Check {} → {\"status\":\"SERVING\"}; " +
      "gRPC Check (empty message) → SERVING",
    connections,
    h2Sessions: 1,
    durationS,
    warmupS,
    rounds,
    schedule: "per round: baseline, then the other cases in rotating order; one closing baseline",
    baselineRpsSpread: range(baselineRps),
    loadGenerator: "in-process closed loop, node:http keep-alive Agent (HTTP/1.1) / node:http2 (h2c)",
    tesseraCommit: gitDescribe(),
    ...machine,
  };

  const table = formatTable(
    [
      { header: "case", value: (s: CaseSummary) => s.label },
      { header: "proto", value: (s) => s.protocol },
      { header: "req/s", value: (s) => s.rpsMedian },
      { header: "p50 µs", value: (s) => s.p50UsMedian },
      { header: "p99 µs", value: (s) => s.p99UsMedian },
      { header: "ratio", value: (s) => s.ratioToBaseline.median, digits: 2 },
      { header: "ratio range", value: (s) => `${s.ratioToBaseline.min.toFixed(2)}–${s.ratioToBaseline.max.toFixed(2)}` },
      { header: "vs same-proto echo", value: (s) => s.ratioToSameProtocolEcho, digits: 2 },
      { header: "srv cpu%", value: (s) => s.serverCpuPctMedian },
      { header: "srv µs/req", value: (s) => s.serverCpuUsPerReqMedian, digits: 1 },
      { header: "cpu/req ratio", value: (s) => s.cpuPerReqRatioToBaseline, digits: 2 },
      { header: "client cpu%", value: (s) => s.clientCpuPctMedian },
    ],
    summaries,
  );
  const conditionLines = [
    `payload: ${conditions.payload}`,
    `connections: ${connections} (HTTP/1.1 keep-alive sockets; h2c: ${connections} streams on 1 session)`,
    `duration: ${durationS} s measured + ${warmupS} s warm-up per measurement, ${rounds} rounds, medians reported`,
    `baseline req/s across the run: ${Math.round(conditions.baselineRpsSpread.min)}–${Math.round(conditions.baselineRpsSpread.max)}`,
    `node ${machine.node} (v8 ${machine.v8}), ${machine.platform}/${machine.arch} ${machine.kernel}`,
    `cpu: ${machine.cpuModel} × ${machine.cores} cores, load avg at start ${machine.loadAvg.join(" ")}`,
    `tessera: ${conditions.tesseraCommit}`,
  ];
  process.stdout.write(`\nTessera HTTP front vs bare node http echo (${startedAt.toISOString()})\n\n${table}\n\n${conditionLines.join("\n")}\n`);
  process.stdout.write(
    "\nratio = req/s ÷ baseline req/s (same run, bracketing baselines); cpu/req ratio = server CPU per request ÷ the echo's.\n",
  );

  const path = await writeResult("foundation", startedAt, {
    bench: "foundation/http-front",
    startedAt: startedAt.toISOString(),
    conditions,
    cases: summaries,
    measurements: ms.map((m) => ({
      round: m.round,
      caseId: m.caseId,
      rps: m.result.rps,
      requests: m.result.requests,
      elapsedS: m.result.elapsedS,
      latency: m.result.latency,
      clientCpuPct: m.result.clientCpuPct,
      observed: m.result.observed,
      connectionsOpened: m.result.connectionsOpened,
    })),
  });
  process.stdout.write(`results: ${path}\n`);
}

// --- main ----------------------------------------------------------------------------------------

await runMain(async () => {
  try {
    await preflight();
    await run();
  } catch (e) {
    for (const c of children) process.stderr.write(c.stderr());
    throw e;
  } finally {
    await Promise.all(children.map((c) => c.stop()));
  }
});
