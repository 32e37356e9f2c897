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
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { spawnBareEcho, type BareEcho } from "../lib/bare-echo.ts";
import { analyseCpuProfile, profileClockUs, readCpuProfile, type Layer } from "../lib/cpu-profile.ts";
import { positive } from "../lib/flags.ts";
import { machineFacts } from "../lib/machine.ts";
import type { Timing } from "../lib/rounds.ts";
import type { Sample } from "../lib/sample.ts";
import { formatTable } from "../lib/table.ts";
import { closedLoop } from "../lib/tape-loads.ts";
import { TcpLoadGenerator } from "../lib/tcp-load.ts";
import { spawnTessera } from "../lib/tessera-server.ts";
import { grpcLoad, hostPort, servingTape, type Wire } from "./cases.ts";
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
const wire = argv.wire as Wire;
if (!["rest", "connect-json", "connect-proto", "grpc"].includes(wire)) throw new Error(`--wire: rest, connect-json, connect-proto or grpc, not ${wire}`);
const target = argv.server;
if (target !== "tessera" && target !== "empty" && target !== "echo") throw new Error(`--server: tessera, empty or echo, not ${target}`);
if (target === "empty" && wire === "rest") throw new Error("the empty Connect handler serves no REST route");
if (target === "echo" && wire !== "rest") throw new Error("the JSON echo is the REST baseline: --wire rest");
const durationMs = positive("duration-s", argv["duration-s"]) * 1000;
const warmupMs = positive("warmup-s", argv["warmup-s"]) * 1000;
const entities = positive("entities", argv.entities);
const connections = positive("connections", argv.connections);
const top = positive("top", argv.top);
const metadataMode = argv.metadata as MetadataMode;

// --- .cpuprofile analysis -------------------------------------------------------------------------

/** Layers, tried in order on a frame; the first match wins. */
const LAYERS: readonly Layer[] = [
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

interface Row {
  readonly name: string;
  readonly layer?: string;
  readonly share: number;
}

// --- run ------------------------------------------------------------------------------------------

const dir = mkdtempSync(join(tmpdir(), "tessera-serving-prof-"));
const name = `${target}-${wire}.cpuprofile`;
const cpuProf = ["--cpu-prof", `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}`];
const tessera = await spawnTessera(["--test-mode"], { nodeArgs: target === "tessera" ? cpuProf : [] });
const gen = await TcpLoadGenerator.start();
let empty: EmptyConnect | undefined;
let echo: BareEcho | undefined;
try {
  const work = getFeaturesWorkload(10_000, entities, metadataMode);
  const { connectJsonReply } = await prepareTessera(tessera, entities, work.jsonBodies[0]!);
  if (target === "empty") empty = await spawnEmptyConnect(connectJsonReply, cpuProf);
  if (target === "echo") echo = await spawnBareEcho(undefined, { json: true, nodeArgs: cpuProf });
  const server =
    empty !== undefined
      ? { url: empty.url, h2Url: empty.h2cUrl, pid: empty.pid }
      : echo !== undefined
        ? { url: echo.url, h2Url: echo.url, pid: echo.pid }
        : { url: tessera.url, h2Url: tessera.url, pid: tessera.pid };
  const run: (t: Timing) => Promise<Sample> =
    wire === "grpc"
      ? grpcLoad(server.h2Url, work, server.pid, connections)
      : closedLoop(gen, servingTape(gen, server.url, wire, work), { addr: hostPort(server.url), pid: server.pid }, connections, 1);
  const measure = async (ms: number): Promise<Sample> => {
    const r = await run({ warmupMs: 0, durationMs: ms });
    if (r.errors > 0) throw new Error(`${r.errors} errors, first ${r.firstError}`);
    return r;
  };
  process.stderr.write(`profiling ${target} ${wire} (${warmupMs / 1000} s warm-up, ${durationMs / 1000} s profiled)\n`);
  await measure(warmupMs);
  // Timed here on the clock the profile's timestamps use, to cut the profile to the window.
  const from = profileClockUs();
  const r = await measure(durationMs);
  const to = profileClockUs();
  await (empty ?? echo ?? tessera).stop(30_000);
  const profilePath = join(dir, name);
  const b = analyseCpuProfile(readCpuProfile(profilePath), from, to, LAYERS, top);
  const perReq = (share: number) => (r.serverUsPerOp === null ? null : share * r.serverUsPerOp);
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
  const fns = (rows: readonly { fn: string; layer?: string; share: number }[]): Row[] => rows.map((x) => ({ name: x.fn, layer: x.layer, share: x.share }));
  process.stdout.write(
    `\n${target} ${wire}: ${Math.round(r.opsPerS)} req/s, server CPU ${r.serverUsPerOp?.toFixed(1) ?? "-"} µs/req, client cpu ${r.clientCpuPct === null ? "-" : Math.round(r.clientCpuPct)}%, ` +
      `${Math.round(b.busyMs)} ms busy; ${connections} connections, ${entities} entities, metadata ${metadataMode}; ` +
      `node ${m.node}, ${m.cpuModel} × ${m.cores}, load avg ${m.loadAvg.join(" ")}\nprofile: ${profilePath}\n\n` +
      `${table("layer (self time)", b.layers, false)}\n\n${table("function (self time)", fns(b.selfTop), true)}\n\n${table("tessera function (inclusive)", fns(b.inclusiveTop), false)}\n`,
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
