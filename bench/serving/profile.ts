/**
 * Where the server's time goes per GetFeatures: runs one of the serving bench's loads against a
 * Tessera child (or, with `--server empty` / `--server echo`, the empty Connect baseline / the bare
 * JSON echo of bench/lib) started with
 * `node --cpu-prof`, keeps the profile samples taken in the measured window, and prints self time by layer (serving, engine, Connect, protobuf, node http, JSON, GC, ...),
 * the top functions by self time and Tessera functions by inclusive time, each also as µs per
 * request (share × the server CPU per request measured over the same window).
 *
 * Run: node_modules/.bin/node --experimental-transform-types --disable-warning=ExperimentalWarning \
 *        bench/serving/profile.ts [--wire rest|connect-json|connect-proto|grpc] [--server tessera|empty|echo] [--duration-s 10]
 *
 * The .cpuprofile file is kept (path printed) for Chrome DevTools or speedscope.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { buildHttp1Tape } from "../lib/http1-tape.ts";
import { loadH2, type Validate } from "../lib/load.ts";
import { machineFacts } from "../lib/machine.ts";
import { formatTable } from "../lib/table.ts";
import { TcpLoadGenerator } from "../lib/tcp-load.ts";
import { baseUrl, parseHostPort, readyFields, spawnReady, TS_NODE_ARGS, type ReadyChild } from "../lib/spawn-child.ts";
import { spawnTessera } from "../lib/tessera-server.ts";
import { spawnEmptyConnect, type EmptyConnect } from "./empty-connect.ts";
import { prepareTessera } from "./setup.ts";
import { getFeaturesWorkload, type MetadataMode } from "./workload.ts";

const { values: argv } = parseArgs({
  options: {
    wire: { type: "string", default: "rest" },
    server: { type: "string", default: "tessera" },
    "duration-s": { type: "string", default: "10" },
    "warmup-s": { type: "string", default: "3" },
    entities: { type: "string", default: "10000" },
    connections: { type: "string", default: "16" },
    metadata: { type: "string", default: "names" },
    top: { type: "string", default: "30" },
  },
});
const wire = argv.wire;
if (!["rest", "connect-json", "connect-proto", "grpc"].includes(wire)) throw new Error(`--wire: rest, connect-json, connect-proto or grpc, not ${wire}`);
const target = argv.server;
if (target !== "tessera" && target !== "empty" && target !== "echo") throw new Error(`--server: tessera, empty or echo, not ${target}`);
if (target === "empty" && wire === "rest") throw new Error("the empty Connect handler serves no REST route");
if (target === "echo" && wire !== "rest") throw new Error("the JSON echo is the REST baseline: --wire rest");
const durationMs = Number(argv["duration-s"]) * 1000;
const warmupMs = Number(argv["warmup-s"]) * 1000;
const entities = Number(argv.entities);
const connections = Number(argv.connections);
const top = Number(argv.top);
const metadataMode = argv.metadata as MetadataMode;

// --- .cpuprofile analysis -------------------------------------------------------------------------

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}
interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: number[];
}
interface CpuProfile {
  readonly nodes: ProfileNode[];
  readonly startTime: number;
  readonly samples: number[];
  readonly timeDeltas: number[];
}

/** Layers, tried in order on a frame; the first match wins. */
const LAYERS: readonly { readonly name: string; readonly test: (f: CallFrame) => boolean }[] = [
  { name: "GC", test: (f) => f.functionName === "(garbage collector)" },
  { name: "idle", test: (f) => f.functionName === "(idle)" },
  { name: "(program)", test: (f) => f.functionName === "(program)" || f.functionName === "(root)" },
  { name: "tessera serving", test: (f) => f.url.includes("/src/serving/") || f.url.includes("/src/service/feature-serving") },
  { name: "tessera engine", test: (f) => f.url.includes("/src/engine/") },
  { name: "tessera connect service", test: (f) => f.url.includes("/src/transport/connect/") },
  { name: "tessera metrics", test: (f) => f.url.includes("/src/transport/metrics") || f.url.includes("prom-client") },
  { name: "tessera http front, REST router", test: (f) => /\/src\/transport\/(http|rest|json-body)/.test(f.url) },
  { name: "tessera other", test: (f) => f.url.includes("/src/") },
  { name: "connect-node", test: (f) => f.url.includes("@connectrpc") },
  { name: "protobuf-es", test: (f) => f.url.includes("@bufbuild") },
  { name: "node http, http2", test: (f) => /node:(_http|internal\/http|http\b|http2|internal\/http2)/.test(f.url) },
  { name: "node streams, net, events", test: (f) => /node:(net|stream|internal\/(stream|streams|net|timers|async_hooks|process|event_target|buffer|webstreams|abort)|events|buffer|timers)/.test(f.url) },
  { name: "node other", test: (f) => f.url.startsWith("node:") },
  { name: "JSON (V8)", test: (f) => f.url === "" && /^(parse|stringify|JSON|JsonParse|JsonStringify)/.test(f.functionName) },
  { name: "V8 builtins, native", test: (f) => f.url === "" },
  { name: "other", test: () => true },
];

function layerOf(f: CallFrame): string {
  return LAYERS.find((l) => l.test(f))!.name;
}

function frameKey(f: CallFrame): string {
  const file = f.url.replace(/^file:\/\/.*?\/(src|node_modules)\//, "$1/");
  return `${f.functionName || "(anonymous)"} ${file}${f.url ? `:${f.lineNumber + 1}` : ""}`;
}

interface Row {
  readonly name: string;
  readonly layer?: string;
  readonly share: number;
}

/** Self time by layer and function, inclusive time of Tessera functions, over samples in [fromUs, toUs]. */
function analyse(p: CpuProfile, fromUs: number, toUs: number): { busyMs: number; layers: Row[]; self: Row[]; inclusive: Row[] } {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const layers = new Map<string, number>();
  const self = new Map<string, { us: number; layer: string }>();
  const inclusive = new Map<string, number>();
  let busy = 0;
  let t = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i]!;
    if (t < fromUs || t > toUs) continue;
    // A sample stands for the interval until the next one.
    const us = p.timeDeltas[i + 1] ?? 0;
    const id = p.samples[i]!;
    const frame = byId.get(id)!.callFrame;
    const layer = layerOf(frame);
    if (layer === "idle") continue;
    busy += us;
    layers.set(layer, (layers.get(layer) ?? 0) + us);
    const k = frameKey(frame);
    const e = self.get(k) ?? { us: 0, layer };
    e.us += us;
    self.set(k, e);
    const seen = new Set<string>();
    for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
      const f = byId.get(n)!.callFrame;
      if (!f.url.includes("/src/")) continue;
      const fk = frameKey(f);
      if (seen.has(fk)) continue;
      seen.add(fk);
      inclusive.set(fk, (inclusive.get(fk) ?? 0) + us);
    }
  }
  const rows = (m: Map<string, number>): Row[] => [...m].map(([name, us]) => ({ name, share: us / busy })).sort((a, b) => b.share - a.share);
  return {
    busyMs: busy / 1000,
    layers: rows(layers),
    self: [...self].map(([name, v]) => ({ name, layer: v.layer, share: v.us / busy })).sort((a, b) => b.share - a.share).slice(0, top),
    inclusive: rows(inclusive).slice(0, top),
  };
}

// --- run ------------------------------------------------------------------------------------------

const RPC_PATH = "/tessera.featureservice.v1.FeatureService/GetFeatures";
const monoUs = (): number => Number(process.hrtime.bigint() / 1000n);
const expectGrpcOk: Validate = (res) => (res.status === 200 && (res.trailers["grpc-status"] ?? res.headers["grpc-status"]) === "0" ? null : `HTTP ${res.status}`);

/** bench/lib's JSON echo (the REST baseline) under the given node flags. */
async function spawnEcho(nodeArgs: readonly string[]): Promise<ReadyChild & { url: string }> {
  const script = fileURLToPath(new URL("../lib/bare-echo-child.ts", import.meta.url));
  const child = await spawnReady(process.execPath, [...TS_NODE_ARGS, ...nodeArgs, script], { readyPattern: /echo ready [^\n]*/, env: { ...process.env, BENCH_ECHO_JSON: "1" } });
  return { ...child, url: baseUrl(parseHostPort(readyFields(child.readyLine, 2)["http"]!)) };
}

const dir = mkdtempSync(join(tmpdir(), "tessera-serving-prof-"));
const name = `${target}-${wire}.cpuprofile`;
const cpuProf = ["--cpu-prof", `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}`];
const tessera = await spawnTessera(["--test-mode"], { nodeArgs: target === "tessera" ? cpuProf : [] });
const gen = await TcpLoadGenerator.start();
let empty: EmptyConnect | undefined;
let echo: (ReadyChild & { url: string }) | undefined;
try {
  const work = getFeaturesWorkload(10_000, entities, metadataMode);
  const { connectJsonReply } = await prepareTessera(tessera, entities, work.jsonBodies[0]!);
  if (target === "empty") empty = await spawnEmptyConnect(connectJsonReply, cpuProf);
  if (target === "echo") echo = await spawnEcho(cpuProf);
  const server =
    empty !== undefined
      ? { url: empty.url, h2Url: empty.h2cUrl, pid: empty.pid }
      : echo !== undefined
        ? { url: echo.url, h2Url: echo.url, pid: echo.pid }
        : { url: tessera.url, h2Url: tessera.url, pid: tessera.pid };
  const http1 = new URL(server.url);
  const run = async (ms: number): Promise<{ rps: number; usPerReq: number | null; clientCpuPct: number }> => {
    if (wire === "grpc") {
      const spec = { method: "POST", path: RPC_PATH, headers: { "content-type": "application/grpc", te: "trailers" }, bodies: work.grpcBodies };
      const r = await loadH2(server.h2Url, spec, { warmupMs: 0, durationMs: ms, concurrency: connections, sessions: 1, validate: expectGrpcOk, observePids: [server.pid] });
      if (r.errors > 0) throw new Error(`${r.errors} errors, first ${r.firstError}`);
      return { rps: r.rps, usPerReq: r.observed[0]?.cpuUsPerRequest ?? null, clientCpuPct: r.clientCpuPct };
    }
    const [path, type, bodies] =
      wire === "rest"
        ? ["/api/v1/feature-service/get-features", "application/json", work.jsonBodies]
        : [RPC_PATH, wire === "connect-json" ? "application/json" : "application/proto", wire === "connect-json" ? work.jsonBodies : work.protoBodies];
    const tapePath = gen.saveTape(buildHttp1Tape("POST", path, http1.host, { "content-type": type }, bodies));
    const r = await gen.run({ protocol: "http1", kind: "closed", host: http1.hostname, port: Number(http1.port), connections, depth: 1, warmupMs: 0, durationMs: ms, tapePath, expectOp: 200, observePids: [server.pid] });
    if (r.errors > 0) throw new Error(`${r.errors} errors, first ${r.firstError}`);
    return { rps: r.fps, usPerReq: r.observed[0]?.cpuUsPerRequest ?? null, clientCpuPct: r.clientCpuPct };
  };
  process.stderr.write(`profiling ${target} ${wire} (${warmupMs / 1000} s warm-up, ${durationMs / 1000} s profiled)\n`);
  await run(warmupMs);
  // Timed here on the monotonic clock the profile's timestamps use, to cut the profile to the window.
  const from = monoUs();
  const r = await run(durationMs);
  const to = monoUs();
  await (empty ?? echo ?? tessera).stop(30_000);
  const profilePath = join(dir, name);
  const b = analyse(JSON.parse(readFileSync(profilePath, "utf8")) as CpuProfile, from, to);
  const perReq = (share: number) => (r.usPerReq === null ? null : share * r.usPerReq);
  const m = machineFacts();
  const table = (header: string, rows: Row[], withLayer: boolean) =>
    formatTable(
      [
        { header, value: (x: Row) => x.name.slice(0, 110) },
        ...(withLayer ? [{ header: "layer", value: (x: Row) => x.layer ?? "" }] : []),
        { header: "share %", value: (x: Row) => x.share * 100, digits: 1 },
        { header: "µs/req", value: (x: Row) => perReq(x.share), digits: 2 },
      ],
      rows,
    );
  process.stdout.write(
    `\n${target} ${wire}: ${Math.round(r.rps)} req/s, server CPU ${r.usPerReq?.toFixed(1) ?? "-"} µs/req, client cpu ${Math.round(r.clientCpuPct)}%, ` +
      `${Math.round(b.busyMs)} ms busy; ${connections} connections, ${entities} entities, metadata ${metadataMode}; ` +
      `node ${m.node}, ${m.cpuModel} × ${m.cores}, load avg ${m.loadAvg.join(" ")}\nprofile: ${profilePath}\n\n` +
      `${table("layer (self time)", b.layers, false)}\n\n${table("function (self time)", b.self, true)}\n\n${table("tessera function (inclusive)", b.inclusive, false)}\n`,
  );
} catch (e) {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
} finally {
  await gen.close();
  await empty?.stop();
  await echo?.stop();
  await tessera.stop();
}
