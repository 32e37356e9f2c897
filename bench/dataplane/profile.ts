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
 *
 * `--profiler cpu-prof` (default) uses node --cpu-prof; its samples are wall-clock, so on a busy
 * machine the time a server spends descheduled inside write(2) (the loopback write wakes the client)
 * shows up as socket-write time. `--profiler perf` records on-CPU samples only with
 * `perf record -e cpu-clock` (kernel included, JS names from --perf-basic-prof): the CPU-accurate
 * split, without inclusive times. The profile files are kept (path printed): .cpuprofile for Chrome
 * DevTools / speedscope, perf.data for perf report.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { OP_PUSH } from "../lib/frames.ts";
import { buildHttp1Tape } from "../lib/http1-tape.ts";
import { machineFacts } from "../lib/machine.ts";
import { writeResult } from "../lib/results.ts";
import { formatTable } from "../lib/table.ts";
import { TcpLoadGenerator } from "../lib/tcp-load.ts";
import { parseHostPort, readyFields, spawnReady, TS_NODE_ARGS, type HostPort } from "../lib/spawn-child.ts";
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
  },
});
const profiler = argv.profiler;
if (profiler !== "cpu-prof" && profiler !== "perf") throw new Error(`--profiler must be cpu-prof or perf, got ${profiler}`);
const durationMs = Number(argv["duration-s"]) * 1000;
const warmupMs = Number(argv["warmup-s"]) * 1000;
const entities = Number(argv.entities);
const connections = Number(argv.connections);
const depth = Number(argv.depth);
const top = Number(argv.top);
const startedAt = new Date();

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
  readonly endTime: number;
  readonly samples: number[];
  readonly timeDeltas: number[];
}

/** Layers, tried in order on a frame's url and name; the first match wins. */
const LAYERS: readonly { readonly name: string; readonly test: (f: CallFrame) => boolean }[] = [
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
    return layerOf({ functionName: sym, url, lineNumber: 0 });
  }
  if (/^(__)?(mem|str)\w*|malloc|free|^_int_/.test(sym)) return "libc (memcpy, malloc)";
  return "node/V8 runtime (C++)";
}

function layerOf(f: CallFrame): string {
  return (LAYERS.find((l) => l.test(f)) as (typeof LAYERS)[number]).name;
}

function frameKey(f: CallFrame): string {
  const file = f.url.replace(/^file:\/\/.*?\/(src|node_modules)\//, "$1/");
  return `${f.functionName || "(anonymous)"} ${file}${f.url ? `:${f.lineNumber + 1}` : ""}`;
}

interface Breakdown {
  readonly sampledMs: number;
  readonly busyMs: number;
  readonly layers: { name: string; ms: number; share: number }[];
  readonly selfTop: { fn: string; layer: string; ms: number; share: number }[];
  /** Tessera functions by inclusive time (share of busy time). */
  readonly inclusiveTop: { fn: string; ms: number; share: number }[];
}

/** Aggregates the samples whose timestamps fall in [fromUs, toUs] (monotonic clock, µs). */
function analyse(p: CpuProfile, fromUs: number, toUs: number): Breakdown {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  let t = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i] as number;
    if (t < fromUs || t > toUs) continue;
    // A sample stands for the interval until the next one.
    const dt = (p.timeDeltas[i + 1] ?? 0) as number;
    const id = p.samples[i] as number;
    self.set(id, (self.get(id) ?? 0) + dt);
  }
  const layerMs = new Map<string, number>();
  const fnSelf = new Map<string, { ms: number; layer: string }>();
  const fnIncl = new Map<string, number>();
  let sampled = 0;
  let idle = 0;
  for (const [id, us] of self) {
    const node = byId.get(id) as ProfileNode;
    const ms = us / 1000;
    sampled += ms;
    const layer = layerOf(node.callFrame);
    if (layer === "idle") idle += ms;
    layerMs.set(layer, (layerMs.get(layer) ?? 0) + ms);
    const k = frameKey(node.callFrame);
    const e = fnSelf.get(k) ?? { ms: 0, layer };
    e.ms += ms;
    fnSelf.set(k, e);
    // Inclusive: every distinct Tessera function on the stack gets the sample once.
    const seen = new Set<string>();
    for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
      const f = (byId.get(n) as ProfileNode).callFrame;
      if (!f.url.includes("/src/")) continue;
      const fk = frameKey(f);
      if (seen.has(fk)) continue;
      seen.add(fk);
      fnIncl.set(fk, (fnIncl.get(fk) ?? 0) + ms);
    }
  }
  const busy = sampled - idle;
  const share = (ms: number) => ms / busy;
  return {
    sampledMs: sampled,
    busyMs: busy,
    layers: [...layerMs]
      .filter(([name]) => name !== "idle")
      .map(([name, ms]) => ({ name, ms, share: share(ms) }))
      .sort((a, b) => b.ms - a.ms),
    selfTop: [...fnSelf]
      .filter(([, v]) => v.layer !== "idle")
      .map(([fn, v]) => ({ fn, layer: v.layer, ms: v.ms, share: share(v.ms) }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top),
    inclusiveTop: [...fnIncl]
      .map(([fn, ms]) => ({ fn, ms, share: share(ms) }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top),
  };
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
  readonly clientCpuPct: number;
  readonly profilePath: string;
  readonly breakdown: Breakdown;
}

const monoUs = (): number => Number(process.hrtime.bigint() / 1000n);
const ECHO_CHILD = {
  http: fileURLToPath(new URL("../lib/bare-echo-child.ts", import.meta.url)),
  tcp: fileURLToPath(new URL("../lib/bare-frame-echo-child.ts", import.meta.url)),
};

interface Target {
  readonly pid: number;
  readonly http: HostPort;
  readonly tcp: HostPort | null;
  stop(graceMs?: number): Promise<number | null>;
}

/** The bench's baseline for `transport`, started with `nodeArgs` (the profiler flags). */
async function spawnEcho(transport: "http" | "tcp", nodeArgs: readonly string[]): Promise<Target> {
  const child = await spawnReady(process.execPath, [...TS_NODE_ARGS, ...nodeArgs, ECHO_CHILD[transport]], {
    readyPattern: transport === "http" ? /echo ready [^\n]*/ : /frame-echo ready [^\n]*/,
    env: { ...process.env, BENCH_ECHO_JSON: "1" },
  });
  const fields = readyFields(child.readyLine, 2);
  const addr = parseHostPort((transport === "http" ? fields["http"] : fields["tcp"]) as string);
  return { pid: child.pid, http: addr, tcp: addr, stop: (g) => child.stop(g) };
}

async function profileRun(transport: "http" | "tcp", which: "tessera" | "echo", dir: string): Promise<RunResult> {
  const name = `${which}-${transport}.${profiler === "perf" ? "perf.data" : "cpuprofile"}`;
  // perf needs the JIT's symbol map (/tmp/perf-<pid>.map) and interpreted frames on the native stack.
  const nodeArgs =
    profiler === "perf"
      ? ["--perf-basic-prof", "--interpreted-frames-native-stack"]
      : ["--cpu-prof", `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}`];
  const server: Target =
    which === "tessera" ? await spawnTessera(["--tcp", "127.0.0.1:0", "--test-mode"], { nodeArgs }) : await spawnEcho(transport, nodeArgs);
  const work = pushWorkload(50_000, entities, 1);
  const gen = await TcpLoadGenerator.start();
  try {
    if (which === "tessera") {
      const av = await probe(server as TesseraServer);
      await register(server as TesseraServer, av);
      await preload(server as TesseraServer, av, preloadBatches(entities, 1000));
      const why = transport === "http" ? av.http : av.tcp;
      if (why !== null || server.tcp === null) throw new Error(`${transport} not available: ${why}`);
    }
    // The same generator and load as the bench: raw HTTP/1.1 (depth 1) or msgpack frames (depth N).
    const job =
      transport === "http"
        ? { protocol: "http1" as const, kind: "closed" as const, ...server.http, connections, depth: 1, expectOp: 200, observePids: [server.pid],
            tapePath: gen.saveTape(buildHttp1Tape("POST", "/push", "127.0.0.1", { "content-type": "application/json" }, work.httpBodies)) }
        : { kind: "closed" as const, ...(server.tcp as HostPort), connections, depth, expectOp: OP_PUSH, observePids: [server.pid], tapePath: gen.saveTape(work.tcpTape) };
    await gen.run({ ...job, warmupMs: 0, durationMs: warmupMs });
    // The window is timed here (monotonic clock, as the profile's timestamps) to cut the profile to it.
    const from = monoUs();
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
    const [r] = await Promise.all([gen.run({ ...job, warmupMs: 0, durationMs }), perf]);
    const window = { from, to: monoUs() };
    if (r.errors > 0) throw new Error(`${which} ${transport} push: ${r.errors} errors, first ${r.firstError}`);
    let breakdown: Breakdown;
    if (profiler === "perf") {
      breakdown = analysePerf(profilePath);
      await server.stop(30_000);
    } else {
      await server.stop(30_000);
      if (!readdirSync(dir).includes(name)) throw new Error(`no ${name} in ${dir}: the server did not write its profile`);
      breakdown = analyse(JSON.parse(readFileSync(profilePath, "utf8")) as CpuProfile, window.from, window.to);
    }
    return {
      transport,
      server: which,
      pushesPerS: r.fps,
      serverUsPerPush: r.observed[0]?.cpuUsPerRequest ?? null,
      clientCpuPct: r.clientCpuPct,
      profilePath,
      breakdown,
    };
  } finally {
    await gen.close();
    await server.stop();
  }
}

function usPerPush(r: RunResult, share: number): number | null {
  return r.serverUsPerPush === null ? null : share * r.serverUsPerPush;
}

function head(r: RunResult): string {
  const b = r.breakdown;
  return (
    `${r.server} ${r.transport.toUpperCase()} push: ${Math.round(r.pushesPerS)} pushes/s, server CPU ${r.serverUsPerPush?.toFixed(1) ?? "-"} µs/push, ` +
    `client cpu ${Math.round(r.clientCpuPct)}%` +
    (Number.isNaN(b.busyMs) ? "" : `, ${Math.round(b.busyMs)} ms busy of ${Math.round(b.sampledMs)} ms sampled`) +
    `; profile ${r.profilePath}`
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
    formatTable(
      [
        { header: "tessera function (self time)", value: (x: Breakdown["selfTop"][number]) => x.fn.slice(0, 100) },
        { header: "layer", value: (x) => x.layer.split(" (")[0] as string },
        { header: "share %", value: (x) => x.share * 100, digits: 1 },
        { header: "µs/push", value: (x) => usPerPush(t, x.share), digits: 2 },
      ],
      t.breakdown.selfTop,
    ),
  );
  if (t.breakdown.inclusiveTop.length > 0) {
    parts.push(
      "",
      formatTable(
        [
          { header: "tessera function (inclusive)", value: (x: Breakdown["inclusiveTop"][number]) => x.fn.slice(0, 100) },
          { header: "share %", value: (x) => x.share * 100, digits: 1 },
          { header: "µs/push", value: (x) => usPerPush(t, x.share), digits: 2 },
        ],
        t.breakdown.inclusiveTop,
      ),
    );
  }
  if (e !== undefined) {
    parts.push(
      "",
      formatTable(
        [
          { header: "echo function (self time)", value: (x: Breakdown["selfTop"][number]) => x.fn.slice(0, 100) },
          { header: "share %", value: (x) => x.share * 100, digits: 1 },
          { header: "µs/push", value: (x) => usPerPush(e, x.share), digits: 2 },
        ],
        e.breakdown.selfTop.slice(0, 10),
      ),
    );
  }
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
  const cond = `profiler: ${how}; µs/push = share × measured server CPU per push\n${connections} connections (HTTP keep-alive / TCP depth ${depth}), ${entities} entities preloaded, 12-feature table, zipf keys; node ${machine.node}, ${machine.cpuModel} × ${machine.cores}, load avg ${machine.loadAvg.join(" ")}`;
  process.stdout.write(`\n${title}\n${cond}\n\n${text}`);
  const path = await writeResult("dataplane-profile", startedAt, { startedAt: startedAt.toISOString(), conditions: { connections, depth, entities, durationMs, warmupMs, ...machine }, runs: results });
  await writeFile(path.replace(/\.json$/, ".md"), `# ${title}\n\n${cond}\n\n\`\`\`\n${text}\`\`\`\n`);
  process.stdout.write(`results: ${path}\n`);
} catch (e) {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
}
