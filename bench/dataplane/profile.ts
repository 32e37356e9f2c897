/**
 * Where the server's time goes per push: runs the bench's push load against a Tessera child started
 * with `node --cpu-prof`, once over HTTP/1.1 (POST /push, 16 keep-alive connections) and once over
 * TCP (msgpack PUSH frames, 16 connections × depth 64), then the same load against the bench's echo
 * baseline for that transport (also profiled), and breaks the samples taken during the measured
 * window down by layer (node http, node net/streams, socket writes, Tessera transport, service,
 * engine, JSON, msgpack, GC, ...), by function (self time) and by Tessera stage (inclusive time).
 * Shares are turned into µs per push with the server CPU per push measured over the same window, so
 * Tessera's layers can be read next to the echo's: the difference is what Tessera adds per push.
 *
 * Run: node_modules/.bin/node --experimental-transform-types --disable-warning=ExperimentalWarning \
 *        bench/dataplane/profile.ts [--duration-s 10] [--only http,tcp] [--entities 100000] [--profiler perf]
 *        [--fsync always|interval|never]
 *
 * `--fsync MODE` profiles a server that keeps its command log (and snapshots) in a temporary data
 * directory with that fsync mode, instead of a memory-only one: what the durable path adds per push.
 *
 * `--profiler cpu-prof` (default) uses node --cpu-prof; its samples are wall-clock, so on a busy
 * machine the time a server spends descheduled inside write(2) (the loopback write wakes the client)
 * shows up as socket-write time. `--profiler perf` records on-CPU samples only with
 * `perf record -e cpu-clock` (kernel included, JS names from --perf-basic-prof): the CPU-accurate
 * split, without inclusive times. The profile files are kept (path printed): .cpuprofile for Chrome
 * DevTools / speedscope, perf.data for perf report.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { spawnBareEcho } from "../lib/bare-echo.ts";
import { spawnBareFrameEcho } from "../lib/bare-frame-echo.ts";
import { analyseCpuProfile, layerOf, profileClockUs, readCpuProfile, type Breakdown, type Layer } from "../lib/cpu-profile.ts";
import { OP_PUSH } from "../lib/frames.ts";
import { positive } from "../lib/flags.ts";
import { machineFacts } from "../lib/machine.ts";
import { writeResult } from "../lib/results.ts";
import type { HostPort, ReadyChild } from "../lib/spawn-child.ts";
import { formatTable } from "../lib/table.ts";
import { closedLoop, frameTape, postTape } from "../lib/tape-loads.ts";
import { TcpLoadGenerator } from "../lib/tcp-load.ts";
import { spawnTessera, type TesseraServer } from "../lib/tessera-server.ts";
import { preload, probe, register } from "./setup.ts";
import { preloadBatches, pushWorkload } from "./workload.ts";

const { values: argv } = parseArgs({
  options: {
    "duration-s": { type: "string", default: "10" },
    "warmup-s": { type: "string", default: "2" },
    entities: { type: "string", default: "100000" },
    connections: { type: "string", default: "16" },
    depth: { type: "string", default: "64" },
    only: { type: "string", default: "http,tcp" },
    top: { type: "string", default: "25" },
    profiler: { type: "string", default: "cpu-prof" },
    fsync: { type: "string" },
  },
});
const FSYNC_MODES = ["always", "interval", "never"] as const;
const fsync = argv.fsync === undefined ? undefined : FSYNC_MODES.find((m) => m === argv.fsync);
if (argv.fsync !== undefined && fsync === undefined) throw new Error(`--fsync must be always, interval or never, got ${argv.fsync}`);
const profiler = argv.profiler;
if (profiler !== "cpu-prof" && profiler !== "perf") throw new Error(`--profiler must be cpu-prof or perf, got ${profiler}`);
const durationMs = positive("duration-s", argv["duration-s"]) * 1000;
const warmupMs = positive("warmup-s", argv["warmup-s"]) * 1000;
const entities = positive("entities", argv.entities);
const connections = positive("connections", argv.connections);
const depth = positive("depth", argv.depth);
const top = positive("top", argv.top);
const startedAt = new Date();

// --- .cpuprofile analysis -------------------------------------------------------------------------

/** Layers, tried in order on a frame's url and name; the first match wins. */
const LAYERS: readonly Layer[] = [
  { name: "GC", test: (f) => f.functionName === "(garbage collector)" },
  { name: "idle", test: (f) => f.functionName === "(idle)" },
  { name: "(program): native, unattributed", test: (f) => f.functionName === "(program)" || f.functionName === "(root)" },
  { name: "tessera engine (validate, apply, read)", test: (f) => f.url.includes("/src/engine/") },
  { name: "tessera service (DataPlane, shapes)", test: (f) => f.url.includes("/src/service/") },
  { name: "tessera metrics", test: (f) => f.url.includes("/src/transport/metrics") || f.url.includes("prom-client") },
  { name: "tessera TCP transport", test: (f) => f.url.includes("/src/transport/tcp/") },
  { name: "tessera HTTP transport (front, router, routes)", test: (f) => /\/src\/transport\/(http|rest|json-body)/.test(f.url) },
  { name: "tessera other", test: (f) => f.url.includes("/src/") },
  { name: "msgpackr", test: (f) => f.url.includes("msgpackr") },
  { name: "logging (pino)", test: (f) => f.url.includes("pino") },
  { name: "node http", test: (f) => /node:(_http|internal\/http|http\b)/.test(f.url) },
  { name: "node net, streams, timers", test: (f) => /node:(net|stream|internal\/(stream|streams|net|timers|async_hooks|process\/task_queues|event_target|buffer)|events|buffer|timers)/.test(f.url) },
  { name: "node other", test: (f) => f.url.startsWith("node:") },
  // StreamBase's native writes: the write(2)/writev(2) syscalls of every reply, copying included.
  { name: "socket write (native, syscall)", test: (f) => f.url === "" && /^(writeUtf8String|writeLatin1String|writeAsciiString|writeUcs2String|writeBuffer|writev)$/.test(f.functionName) },
  { name: "JSON parse/stringify (V8)", test: (f) => f.url === "" && /^(parse|stringify|JSON|JsonParse|JsonStringify)/.test(f.functionName) },
  { name: "V8 builtins, other", test: (f) => f.url === "" },
  { name: "other", test: () => true },
];

/**
 * `perf report` symbols (perf mode): kernel, C/C++ and V8 builtins by name; JIT-compiled JS through
 * the node perf map (`JS:*name file:///...:line`), which the LAYERS tests above read as urls.
 */
function perfLayerOf(sym: string, kernel: boolean): string {
  if (kernel) return "kernel (syscalls, loopback TCP)";
  if (/Heap|Scaveng|MarkCompact|Marking|Sweep|GC|Evacuat|Minor|Major|Concurrent/.test(sym) && !sym.includes("file://") && !sym.includes("node:")) return "GC";
  if (/llhttp/.test(sym)) return "node http";
  if (/^uv_|^uv__/.test(sym)) return "node net, streams, timers";
  if (/^Builtins_Json/.test(sym)) return "JSON parse/stringify (V8)";
  if (/^Builtins_/.test(sym)) return "V8 builtins, other";
  if (sym.includes("file://") || sym.includes("node:") || /^JS:/.test(sym)) {
    const url = (/(file:\/\/\S+|node:\S+|\/\S+\.[cm]?[jt]s)/.exec(sym)?.[1] ?? "").replace(/:\d+(:\d+)?$/, "");
    return layerOf(LAYERS, { functionName: sym, url, lineNumber: 0 });
  }
  if (/^(__)?(mem|str)\w*|malloc|free|^_int_/.test(sym)) return "libc (memcpy, malloc)";
  return "node/V8 runtime (C++)";
}

/** perf mode: `perf report` over a cpu-clock recording (on-CPU samples only, kernel included). */
function analysePerf(dataPath: string): Breakdown {
  const out = execFileSync("perf", ["report", "-i", dataPath, "--stdio", "-q", "--sort", "dso,sym", "-t", "|"], {
    encoding: "utf8",
    maxBuffer: 256 * 2 ** 20,
  });
  const layerPct = new Map<string, number>();
  const fns: { fn: string; layer: string; pct: number }[] = [];
  for (const line of out.split("\n")) {
    const parts = line.split("|");
    if (parts.length < 3) continue;
    const pct = Number.parseFloat(parts[0] as string);
    if (!Number.isFinite(pct)) continue;
    const dso = (parts[1] as string).trim();
    const symField = parts.slice(2).join("|").trim();
    const kernel = symField.startsWith("[k]") || dso.includes("kernel");
    const sym = symField.replace(/^\[[.kj]\]\s*/, "");
    const layer = perfLayerOf(sym, kernel);
    layerPct.set(layer, (layerPct.get(layer) ?? 0) + pct);
    fns.push({ fn: sym.replace(/file:\/\/\S*?\/(src|node_modules)\//, "$1/"), layer, pct });
  }
  const total = [...layerPct.values()].reduce((a, b) => a + b, 0) || 100;
  return {
    sampledMs: Number.NaN,
    busyMs: Number.NaN,
    layers: [...layerPct].map(([name, pct]) => ({ name, ms: Number.NaN, share: pct / total })).sort((a, b) => b.share - a.share),
    selfTop: fns.sort((a, b) => b.pct - a.pct).slice(0, top).map((f) => ({ fn: f.fn, layer: f.layer, ms: Number.NaN, share: f.pct / total })),
    inclusiveTop: [],
  };
}

// --- runs -----------------------------------------------------------------------------------------

interface RunResult {
  readonly transport: string;
  readonly server: "tessera" | "echo";
  readonly pushesPerS: number;
  readonly serverUsPerPush: number | null;
  readonly clientCpuPct: number | null;
  readonly profilePath: string;
  readonly breakdown: Breakdown;
}

async function profileRun(transport: "http" | "tcp", which: "tessera" | "echo", dir: string): Promise<RunResult> {
  const name = `${which}-${transport}.${profiler === "perf" ? "perf.data" : "cpuprofile"}`;
  // perf needs the JIT's symbol map (/tmp/perf-<pid>.map) and interpreted frames on the native stack.
  const nodeArgs =
    profiler === "perf"
      ? ["--perf-basic-prof", "--interpreted-frames-native-stack"]
      : ["--cpu-prof", `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}`];
  let server: ReadyChild & { readonly addr: HostPort | null };
  let tessera: TesseraServer | null = null;
  const durable = which === "tessera" && fsync !== undefined ? { dataDir: mkdtempSync(join(tmpdir(), "tessera-profile-data-")), fsync } : undefined;
  if (which === "tessera") {
    tessera = await spawnTessera(["--tcp", "127.0.0.1:0", "--test-mode"], { nodeArgs, ...(durable === undefined ? {} : { durable }) });
    server = { ...tessera, addr: transport === "http" ? tessera.http : tessera.tcp };
  } else if (transport === "http") {
    const echo = await spawnBareEcho(undefined, { json: true, nodeArgs });
    server = { ...echo, addr: echo.http };
  } else {
    const echo = await spawnBareFrameEcho(nodeArgs);
    server = { ...echo, addr: echo.tcp };
  }
  const work = pushWorkload(50_000, entities, 1);
  const gen = await TcpLoadGenerator.start();
  try {
    if (tessera !== null) {
      const av = await probe(tessera);
      await register(tessera, av);
      await preload(tessera, av, preloadBatches(entities, 1000));
      const why = transport === "http" ? av.http : av.tcp;
      if (why !== null || server.addr === null) throw new Error(`${transport} not available: ${why}`);
    }
    // The same generator and load as the bench: raw HTTP/1.1 (depth 1) or msgpack frames (depth N).
    const tape = transport === "http" ? postTape(gen, "/push", work.httpBodies) : frameTape(gen, work.tcpTape, OP_PUSH);
    const load = closedLoop(gen, tape, { addr: server.addr, pid: server.pid }, connections, depth);
    await load({ warmupMs: 0, durationMs: warmupMs });
    // The window is timed here (monotonic clock, as the profile's timestamps) to cut the profile to it.
    const from = profileClockUs();
    const profilePath = join(dir, name);
    // perf mode: record the server's on-CPU samples for the middle of the window.
    const perf =
      profiler === "perf"
        ? new Promise<void>((resolve, reject) =>
            setTimeout(() => {
              try {
                execFileSync("perf", ["record", "-q", "-e", "cpu-clock", "-F", "1999", "-p", String(server.pid), "-o", profilePath, "--", "sleep", String(Math.max(1, (durationMs - 1000) / 1000))], { stdio: "ignore" });
                resolve();
              } catch (e) {
                reject(e as Error);
              }
            }, 500),
          )
        : Promise.resolve();
    const [r] = await Promise.all([load({ warmupMs: 0, durationMs }), perf]);
    const window = { from, to: profileClockUs() };
    if (r.errors > 0) throw new Error(`${which} ${transport} push: ${r.errors} errors, first ${r.firstError}`);
    let breakdown: Breakdown;
    if (profiler === "perf") {
      breakdown = analysePerf(profilePath);
      await server.stop(30_000);
    } else {
      await server.stop(30_000);
      if (!readdirSync(dir).includes(name)) throw new Error(`no ${name} in ${dir}: the server did not write its profile`);
      breakdown = analyseCpuProfile(readCpuProfile(profilePath), window.from, window.to, LAYERS, top);
    }
    return {
      transport,
      server: which,
      pushesPerS: r.opsPerS,
      serverUsPerPush: r.serverUsPerOp,
      clientCpuPct: r.clientCpuPct,
      profilePath,
      breakdown,
    };
  } finally {
    await gen.close();
    await server.stop();
    if (durable !== undefined) rmSync(durable.dataDir, { recursive: true, force: true });
  }
}

function usPerPush(r: RunResult, share: number): number | null {
  return r.serverUsPerPush === null ? null : share * r.serverUsPerPush;
}

function head(r: RunResult): string {
  const b = r.breakdown;
  return (
    `${r.server} ${r.transport.toUpperCase()} push: ${Math.round(r.pushesPerS)} pushes/s, server CPU ${r.serverUsPerPush?.toFixed(1) ?? "-"} µs/push, ` +
    `client cpu ${r.clientCpuPct === null ? "-" : Math.round(r.clientCpuPct)}%` +
    (Number.isNaN(b.busyMs) ? "" : `, ${Math.round(b.busyMs)} ms busy of ${Math.round(b.sampledMs)} ms sampled`) +
    `; profile ${r.profilePath}`
  );
}

/** Functions of `r`'s profile with their share and µs per push. */
function functions(header: string, r: RunResult, rows: readonly { fn: string; layer?: string; share: number }[], withLayer: boolean): string {
  return formatTable(
    [
      { header, value: (x: (typeof rows)[number]) => x.fn.slice(0, 100) },
      ...(withLayer ? [{ header: "layer", value: (x: (typeof rows)[number]) => (x.layer ?? "").split(" (")[0] as string }] : []),
      { header: "share %", value: (x) => x.share * 100, digits: 1 },
      { header: "µs/push", value: (x) => usPerPush(r, x.share), digits: 2 },
    ],
    rows,
  );
}

/** Tessera's layers next to the echo's, per push, for one transport. */
function render(t: RunResult, e: RunResult | undefined): string {
  const names = [...new Set([...t.breakdown.layers.map((l) => l.name), ...(e?.breakdown.layers.map((l) => l.name) ?? [])])];
  const of = (r: RunResult | undefined, n: string) => {
    const l = r?.breakdown.layers.find((x) => x.name === n);
    return r === undefined ? null : l === undefined ? 0 : usPerPush(r, l.share);
  };
  const rows = names.map((n) => ({ n, t: of(t, n), e: of(e, n) })).sort((a, b) => (b.t ?? 0) - (a.t ?? 0));
  rows.push({ n: "total (server CPU per push)", t: t.serverUsPerPush, e: e?.serverUsPerPush ?? null });
  const parts: string[] = [head(t)];
  if (e !== undefined) parts.push(head(e));
  parts.push(
    "",
    formatTable(
      [
        { header: "layer (self time)", value: (x: (typeof rows)[number]) => x.n },
        { header: "tessera µs/push", value: (x) => x.t, digits: 2 },
        { header: "echo µs/push", value: (x) => x.e, digits: 2 },
        { header: "extra µs/push", value: (x) => (x.t === null || x.e === null ? null : x.t - x.e), digits: 2 },
      ],
      rows,
    ),
    "",
    functions("tessera function (self time)", t, t.breakdown.selfTop, true),
  );
  if (t.breakdown.inclusiveTop.length > 0) parts.push("", functions("tessera function (inclusive)", t, t.breakdown.inclusiveTop, false));
  if (e !== undefined) parts.push("", functions("echo function (self time)", e, e.breakdown.selfTop.slice(0, 10), false));
  return `${parts.join("\n")}\n`;
}

const dir = mkdtempSync(join(tmpdir(), "tessera-cpu-prof-"));
const results: RunResult[] = [];
try {
  const transports = argv.only.split(",").map((s) => s.trim());
  for (const t of transports) {
    if (t !== "http" && t !== "tcp") throw new Error(`--only: unknown transport ${t}`);
    for (const which of ["tessera", "echo"] as const) {
      process.stderr.write(`profiling ${which} ${t} push (${argv["warmup-s"]} s warm-up, ${argv["duration-s"]} s profiled)\n`);
      results.push(await profileRun(t, which, dir));
    }
  }
  const text = transports
    .map((t) => render(results.find((r) => r.transport === t && r.server === "tessera") as RunResult, results.find((r) => r.transport === t && r.server === "echo")))
    .join("\n");
  const machine = machineFacts();
  const how =
    profiler === "perf"
      ? "perf record -e cpu-clock (on-CPU samples, kernel included; JS names from --perf-basic-prof)"
      : "node --cpu-prof (V8 sampler: wall-clock samples of the main thread, so time the thread spends descheduled inside a syscall is charged to it)";
  const title = `Tessera server CPU profile per push (${startedAt.toISOString()}), ${profiler}`;
  const cond = `profiler: ${how}; µs/push = share × measured server CPU per push\n${connections} connections (HTTP keep-alive / TCP depth ${depth}), ${entities} entities preloaded, 12-feature table, zipf keys, ${fsync === undefined ? "memory-only" : `command log with --fsync ${fsync}`}; node ${machine.node}, ${machine.cpuModel} × ${machine.cores}, load avg ${machine.loadAvg.join(" ")}`;
  process.stdout.write(`\n${title}\n${cond}\n\n${text}`);
  const path = await writeResult("dataplane-profile", startedAt, { startedAt: startedAt.toISOString(), conditions: { connections, depth, entities, durationMs, warmupMs, ...machine }, runs: results });
  await writeFile(path.replace(/\.json$/, ".md"), `# ${title}\n\n${cond}\n\n\`\`\`\n${text}\`\`\`\n`);
  process.stdout.write(`results: ${path}\n`);
} catch (e) {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
}
