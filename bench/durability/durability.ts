/**
 * Durability bench (DESIGN §7, issue 5 "Measure"): what the command log costs pushes, and how fast
 * the server recovers from it.
 *
 * Run: node_modules/.bin/node --experimental-transform-types --disable-warning=ExperimentalWarning \
 *        bench/durability/durability.ts [--quick] [--rounds N] [--http-connections N] \
 *        [--tcp-connections N] [--tcp-depth N] [--recovery-events N[,N...]]
 *
 * 1. Push throughput and p99 with --fsync always / interval / off against --memory-only, each over
 *    HTTP/1.1 (16 keep-alive connections, closed loop) and framed TCP with msgpack (the project's
 *    client, pipelined). One server per mode serves every round; each round measures all modes on
 *    each wire in a rotating order. A mode's ratio in a round is its pushes/s over memory-only's in
 *    the same round and on the same wire; the report gives medians over rounds (≥ 3).
 * 2. Recovery speed: logs of 1M events (and 10M in a full run) into the 7-feature table and into a
 *    1-feature table are replayed by a starting server; events/s come from the server's own
 *    "command log recovered" line (read + decode + apply). The same log is also read and decoded
 *    alone, and applied alone, in the bench process: the log's share and the engine's.
 *
 * See bench/durability/README.md for how to read the results.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { HttpDataPlaneClient, type JsonObject } from "../../src/client/index.ts";
import { Engine } from "../../src/engine/index.ts";
import { ControlPlane, replayCommand } from "../../src/service/auth-control-plane.ts";
import { recoverLog, type LogRecord } from "../../src/storage/recover-log.ts";
import { expectStatus, loadHttp1, type RequestSpec } from "../lib/load.ts";
import { gitDescribe } from "../lib/git-describe.ts";
import { machineFacts } from "../lib/machine.ts";
import { rng } from "../lib/random.ts";
import { writeResult } from "../lib/results.ts";
import { runMain } from "../lib/run-main.ts";
import { median, nmedian, range, type LatencySummary } from "../lib/stats.ts";
import { formatTable } from "../lib/table.ts";
import { probeFdatasync, probeSyncsPerS } from "./fsync-probe.ts";
import { writeRecoveryLog } from "./recovery-log.ts";
import { histogramTotals, spawnMode, type ModeServer, type StorageMode } from "./storage-mode-server.ts";
import { loadTcpPushes } from "./tcp-push-load.ts";
import { NODES, PUSH_DATA, SMALL_NODES } from "./workload.ts";

const { values: argv } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    rounds: { type: "string" },
    "http-connections": { type: "string", default: "16" },
    "tcp-connections": { type: "string", default: "4" },
    "tcp-depth": { type: "string", default: "32" },
    "recovery-events": { type: "string" },
  },
});

function positiveInt(name: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got ${raw}`);
  return n;
}
const quick = argv.quick;
// Five rounds by default in a full run: on a shared box a median of five shrugs off one disturbed round.
const rounds = positiveInt("rounds", argv.rounds ?? (quick ? "3" : "5"));
if (rounds < 3) throw new Error("--rounds must be at least 3: results are medians over rounds");
const httpConnections = positiveInt("http-connections", argv["http-connections"]);
const tcpConnections = positiveInt("tcp-connections", argv["tcp-connections"]);
const tcpDepth = positiveInt("tcp-depth", argv["tcp-depth"]);
const warmupMs = quick ? 500 : 1000;
const durationMs = quick ? 1500 : 5000;
const recoverySizes = (argv["recovery-events"] ?? (quick ? "1000000" : "1000000,10000000")).split(",").map((n) => positiveInt("recovery-events", n));
const RECOVERY_ROUNDS = 3;
/** The tables the recovery logs feed: the push workload's, and one count for a log-bound replay. */
const RECOVERY_TABLES: readonly { readonly name: string; readonly nodes: JsonObject[] }[] = [
  { name: "7 features", nodes: NODES },
  { name: "1 feature", nodes: SMALL_NODES },
];

const MODES: readonly StorageMode[] = ["memory-only", "off", "interval", "always"];
/** Issue 5 targets: pushes/s as a fraction of memory-only's. */
const TARGETS: Partial<Record<StorageMode, number>> = { interval: 0.8, always: 0.5 };
type Wire = "http" | "tcp";
const WIRES: readonly Wire[] = ["http", "tcp"];

const startedAt = new Date();
const machine = machineFacts();
const scratch = mkdtempSync(join(tmpdir(), "tessera-durability-bench-"));
const live = new Set<ModeServer>();

async function start(mode: StorageMode, dataDir: string, logLevel?: string): Promise<ModeServer> {
  const server = await spawnMode(mode, dataDir, logLevel);
  live.add(server);
  return server;
}

async function stop(server: ModeServer): Promise<void> {
  const code = await server.stop();
  live.delete(server);
  if (code !== 0) throw new Error(`${server.mode} server exited with ${code}:\n${server.stderr()}`);
}

// --- 1. push throughput ---------------------------------------------------------------------------

interface PushMeasurement {
  readonly round: number;
  readonly mode: StorageMode;
  readonly wire: Wire;
  readonly pushesPerS: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly serverCpuPct: number | null;
  readonly serverCpuUsPerPush: number | null;
  readonly clientCpuPct: number;
  /** Mean records per group-commit batch during the load (warm-up included); null for memory-only. */
  readonly recordsPerBatch: number | null;
  readonly fsyncsPerS: number | null;
  readonly fsyncMeanUs: number | null;
}

const httpPush: RequestSpec = {
  method: "POST",
  path: "/push",
  headers: { "content-type": "application/json" },
  body: Buffer.from(JSON.stringify({ event: "txn", data: PUSH_DATA })),
};

/** Runs one wire's load and reads the log's batch and fsync histograms around it. */
async function measure(server: ModeServer, round: number, wire: Wire): Promise<PushMeasurement> {
  const batches0 = await histogramTotals(server, "tessera_log_batch_records");
  const fsyncs0 = await histogramTotals(server, "tessera_log_fsync_duration_seconds");
  const t0 = performance.now();
  let m: Omit<PushMeasurement, "recordsPerBatch" | "fsyncsPerS" | "fsyncMeanUs">;
  if (wire === "http") {
    const r = await loadHttp1(server.url, httpPush, {
      concurrency: httpConnections,
      warmupMs,
      durationMs,
      validate: expectStatus(200),
      observePids: [server.pid],
    });
    if (r.errors > 0) throw new Error(`${server.mode} http: ${r.errors} failed pushes, first: ${r.firstError}`);
    const observed = r.observed[0];
    m = {
      round,
      mode: server.mode,
      wire,
      pushesPerS: r.rps,
      p50Us: r.latency.p50Us,
      p99Us: r.latency.p99Us,
      serverCpuPct: observed?.cpuPct ?? null,
      serverCpuUsPerPush: observed?.cpuUsPerRequest ?? null,
      clientCpuPct: r.clientCpuPct,
    };
  } else {
    const r = await loadTcpPushes({
      host: server.tcp.host,
      port: server.tcp.port,
      connections: tcpConnections,
      depth: tcpDepth,
      warmupMs,
      durationMs,
      event: "txn",
      data: PUSH_DATA,
      serverPid: server.pid,
    });
    if (r.errors > 0) throw new Error(`${server.mode} tcp: ${r.errors} failed pushes, first: ${r.firstError}`);
    m = {
      round,
      mode: server.mode,
      wire,
      pushesPerS: r.pushesPerS,
      p50Us: r.latency.p50Us,
      p99Us: r.latency.p99Us,
      serverCpuPct: r.serverCpuPct,
      serverCpuUsPerPush: r.serverCpuUsPerPush,
      clientCpuPct: r.clientCpuPct,
    };
  }
  const elapsedS = (performance.now() - t0) / 1000;
  const batches1 = await histogramTotals(server, "tessera_log_batch_records");
  const fsyncs1 = await histogramTotals(server, "tessera_log_fsync_duration_seconds");
  const batches = batches1.count - batches0.count;
  const fsyncs = fsyncs1.count - fsyncs0.count;
  const durable = server.mode !== "memory-only";
  return {
    ...m,
    recordsPerBatch: durable && batches > 0 ? (batches1.sum - batches0.sum) / batches : null,
    fsyncsPerS: durable ? fsyncs / elapsedS : null,
    fsyncMeanUs: durable && fsyncs > 0 ? ((fsyncs1.sum - fsyncs0.sum) / fsyncs) * 1e6 : null,
  };
}

/**
 * One server per mode, all started first and kept for every round, so the modes compared in a round
 * are measured minutes apart at most, never on either side of a change in the shared machine's load.
 */
async function pushRounds(): Promise<PushMeasurement[]> {
  const servers = new Map<StorageMode, ModeServer>();
  for (const mode of MODES) {
    const server = await start(mode, mkdtempSync(join(scratch, `push-${mode}-`)));
    const client = new HttpDataPlaneClient({ url: server.url });
    await client.register(NODES);
    await client.close();
    servers.set(mode, server);
  }
  const out: PushMeasurement[] = [];
  for (let round = 0; round < rounds; round++) {
    // Rotating the order keeps any one mode from always running first or last in a round.
    const order = MODES.map((_, i) => MODES[(i + round) % MODES.length]!);
    for (const wire of WIRES) {
      for (const mode of order) {
        const m = await measure(servers.get(mode)!, round, wire);
        out.push(m);
        process.stderr.write(`round ${round + 1}/${rounds} ${wire} ${mode.padEnd(11)}: ${Math.round(m.pushesPerS)} pushes/s, p99 ${Math.round(m.p99Us)} µs\n`);
      }
    }
  }
  for (const server of servers.values()) await stop(server);
  return out;
}

interface PushSummary {
  readonly wire: Wire;
  readonly mode: StorageMode;
  readonly pushesPerSMedian: number;
  readonly p99UsMedian: number;
  readonly ratio: { median: number; min: number; max: number };
  readonly p99Ratio: number;
  readonly target: number | null;
  readonly meetsTarget: boolean | null;
  readonly serverCpuUsPerPushMedian: number | null;
  readonly clientCpuPctMedian: number;
  readonly recordsPerBatchMedian: number | null;
  readonly fsyncsPerSMedian: number | null;
  readonly fsyncMeanUsMedian: number | null;
}

function summarizePushes(ms: readonly PushMeasurement[]): PushSummary[] {
  const out: PushSummary[] = [];
  for (const wire of WIRES) {
    for (const mode of MODES) {
      const mine = ms.filter((m) => m.wire === wire && m.mode === mode);
      const ratios = mine.map((m) => {
        const base = ms.find((b) => b.wire === wire && b.mode === "memory-only" && b.round === m.round)!;
        return m.pushesPerS / base.pushesPerS;
      });
      const p99Ratios = mine.map((m) => m.p99Us / ms.find((b) => b.wire === wire && b.mode === "memory-only" && b.round === m.round)!.p99Us);
      const ratio = { median: median(ratios), ...range(ratios) };
      const target = TARGETS[mode] ?? null;
      out.push({
        wire,
        mode,
        pushesPerSMedian: median(mine.map((m) => m.pushesPerS)),
        p99UsMedian: median(mine.map((m) => m.p99Us)),
        ratio,
        p99Ratio: median(p99Ratios),
        target,
        meetsTarget: target === null ? null : ratio.median >= target,
        serverCpuUsPerPushMedian: nmedian(mine.map((m) => m.serverCpuUsPerPush)),
        clientCpuPctMedian: median(mine.map((m) => m.clientCpuPct)),
        recordsPerBatchMedian: nmedian(mine.map((m) => m.recordsPerBatch)),
        fsyncsPerSMedian: nmedian(mine.map((m) => m.fsyncsPerS)),
        fsyncMeanUsMedian: nmedian(mine.map((m) => m.fsyncMeanUs)),
      });
    }
  }
  return out;
}

// --- 2. recovery speed ----------------------------------------------------------------------------

interface RecoveryMeasurement {
  readonly table: string;
  readonly events: number;
  readonly round: number;
  readonly replayed: number;
  /** The server's own figure: reading, decoding and applying every record. */
  readonly recoveryMs: number;
  readonly eventsPerS: number;
  /** Spawn to ready line: process start-up, recovery, fsync of the segments, listeners. */
  readonly readyMs: number;
  readonly rssMb: number | null;
}

interface RecoverySummary {
  readonly table: string;
  readonly events: number;
  /** Reading, checking and decoding alone (recoverLog in the bench process, nothing applied): the log's own share. */
  readonly decodeEventsPerSMedian: number;
  /** Applying alone (the server's replayCommand on records decoded beforehand): the engine's share. */
  readonly applyEventsPerSMedian: number;
  readonly logBytes: number;
  readonly bytesPerRecord: number;
  readonly writeS: number;
  readonly eventsPerSMedian: number;
  readonly eventsPerSRange: { min: number; max: number };
  readonly recoveryMsMedian: number;
  readonly readyMsMedian: number;
  readonly rssMbMedian: number | null;
}

function rssMb(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m === null ? null : Number(m[1]) / 1024;
  } catch {
    return null;
  }
}

function logBytes(dataDir: string): number {
  const dir = join(dataDir, "log");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".log"))
    .reduce((n, f) => n + statSync(join(dir, f)).size, 0);
}

/**
 * The engine's share of a replay: records decoded in chunks, each chunk then applied through the
 * server's own replayCommand and only the applying timed. Chunks keep 10M decoded records from
 * having to fit in memory at once.
 */
function applyAloneEventsPerS(dir: string): number {
  const engine = new Engine();
  const controlPlane = new ControlPlane();
  let chunk: LogRecord[] = [];
  let applyMs = 0;
  let applied = 0;
  const applyChunk = (): void => {
    const t0 = performance.now();
    for (const r of chunk) replayCommand(engine, controlPlane, r.command, r.lsn, r.now);
    applyMs += performance.now() - t0;
    applied += chunk.length;
    chunk = [];
  };
  recoverLog({
    dir,
    onRecord: (r) => {
      chunk.push(r);
      if (chunk.length === 100_000) applyChunk();
    },
  });
  applyChunk();
  return applied / (applyMs / 1000);
}

type RecoveryTable = (typeof RECOVERY_TABLES)[number];

async function recoveryRuns(): Promise<{ summaries: RecoverySummary[]; measurements: RecoveryMeasurement[] }> {
  const summaries: RecoverySummary[] = [];
  const measurements: RecoveryMeasurement[] = [];
  for (const table of RECOVERY_TABLES) {
    for (const events of recoverySizes) {
      const run = await recoveryRun(table, events);
      summaries.push(run.summary);
      measurements.push(...run.measurements);
    }
  }
  return { summaries, measurements };
}

async function recoveryRun(table: RecoveryTable, events: number): Promise<{ summary: RecoverySummary; measurements: RecoveryMeasurement[] }> {
  const dataDir = mkdtempSync(join(scratch, "recovery-"));
  const logDir = join(dataDir, "log");
  process.stderr.write(`writing a log of ${events.toLocaleString("en-US")} events (${table.name})...\n`);
  const log = await writeRecoveryLog(dataDir, table.nodes, events, rng(events));
  const mine: RecoveryMeasurement[] = [];
  for (let round = 0; round < RECOVERY_ROUNDS; round++) {
    // What is measured is the log's replay: a snapshot the previous start wrote on shutdown would let
    // this one skip it.
    rmSync(join(dataDir, "snapshots"), { recursive: true, force: true });
    // The fsync mode only governs appends; recovery is the same in every mode.
    const server = await start("interval", dataDir, "info");
    const line = server
      .stderr()
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as { msg: string; replayed?: number; durationMs?: number })
      .find((l) => l.msg === "command log recovered");
    if (line?.replayed === undefined || line.durationMs === undefined) throw new Error(`no recovery line:\n${server.stderr()}`);
    if (line.replayed !== log.records) throw new Error(`replayed ${line.replayed} records, the log holds ${log.records}`);
    // The replayed state is checked, so the figure is for a recovery that actually rebuilt it.
    const client = new HttpDataPlaneClient({ url: server.url });
    const row = await client.get("user_stats", "u0", { features: ["n"] });
    await client.close();
    if (row["n"] !== log.u0Events) throw new Error(`u0 has n=${JSON.stringify(row["n"])} after recovery, expected ${log.u0Events}`);
    const m: RecoveryMeasurement = {
      table: table.name,
      events,
      round,
      replayed: line.replayed,
      recoveryMs: line.durationMs,
      eventsPerS: line.replayed / (line.durationMs / 1000),
      readyMs: server.readyMs,
      rssMb: rssMb(server.pid),
    };
    mine.push(m);
    process.stderr.write(
      `recovery ${table.name} ${events.toLocaleString("en-US")} round ${round + 1}/${RECOVERY_ROUNDS}: ${Math.round(m.eventsPerS)} events/s, ready in ${Math.round(m.readyMs)} ms\n`,
    );
    await stop(server);
  }
  // Decoding alone and applying alone, alternated, so both see the same load on the machine.
  const decodeRates: number[] = [];
  const applyRates: number[] = [];
  for (let round = 0; round < RECOVERY_ROUNDS; round++) {
    const report = recoverLog({ dir: logDir, onRecord: () => {} });
    decodeRates.push(report.replayed / (report.durationMs / 1000));
    applyRates.push(applyAloneEventsPerS(logDir));
  }
  const bytes = logBytes(dataDir);
  rmSync(dataDir, { recursive: true, force: true });
  const summary: RecoverySummary = {
    table: table.name,
    events,
    decodeEventsPerSMedian: median(decodeRates),
    applyEventsPerSMedian: median(applyRates),
    logBytes: bytes,
    bytesPerRecord: bytes / log.records,
    writeS: log.writeS,
    eventsPerSMedian: median(mine.map((m) => m.eventsPerS)),
    eventsPerSRange: range(mine.map((m) => m.eventsPerS)),
    recoveryMsMedian: median(mine.map((m) => m.recoveryMs)),
    readyMsMedian: median(mine.map((m) => m.readyMs)),
    rssMbMedian: nmedian(mine.map((m) => m.rssMb)),
  };
  return { summary, measurements: mine };
}

// --- report ---------------------------------------------------------------------------------------

function fsyncText(l: LatencySummary): string {
  return `${Math.round(l.p50Us)}/${Math.round(l.p99Us)}/${Math.round(l.meanUs)} µs`;
}

async function run(): Promise<void> {
  const fdatasyncBefore = await probeFdatasync(scratch);
  const syncsPerS = { one: await probeSyncsPerS(scratch, 1), two: await probeSyncsPerS(scratch, 2) };
  const pushMeasurements = await pushRounds();
  const fdatasyncAfter = await probeFdatasync(scratch);
  const pushes = summarizePushes(pushMeasurements);
  const recovery = await recoveryRuns();

  const pushTable = formatTable(
    [
      { header: "wire", value: (s: PushSummary) => s.wire },
      { header: "storage", value: (s) => (s.mode === "memory-only" ? "memory-only" : `fsync ${s.mode}`) },
      { header: "pushes/s", value: (s) => s.pushesPerSMedian },
      { header: "ratio", value: (s) => s.ratio.median, digits: 2 },
      { header: "range", value: (s) => `${s.ratio.min.toFixed(2)}–${s.ratio.max.toFixed(2)}` },
      { header: "target", value: (s) => (s.target === null ? "-" : `≥ ${s.target}`) },
      { header: "ok", value: (s) => (s.meetsTarget === null ? "-" : s.meetsTarget ? "yes" : "NO") },
      { header: "p99 µs", value: (s) => s.p99UsMedian },
      { header: "p99 ratio", value: (s) => s.p99Ratio, digits: 2 },
      { header: "srv µs/push", value: (s) => s.serverCpuUsPerPushMedian, digits: 1 },
      { header: "client cpu%", value: (s) => s.clientCpuPctMedian },
      { header: "rec/batch", value: (s) => s.recordsPerBatchMedian, digits: 1 },
      { header: "fsync/s", value: (s) => s.fsyncsPerSMedian },
      { header: "fsync µs", value: (s) => s.fsyncMeanUsMedian },
    ],
    pushes,
  );
  const recoveryTable = formatTable(
    [
      { header: "table", value: (s: RecoverySummary) => s.table },
      { header: "events", value: (s) => s.events },
      { header: "log MB", value: (s) => s.logBytes / 2 ** 20, digits: 1 },
      { header: "B/record", value: (s) => s.bytesPerRecord, digits: 1 },
      { header: "replay events/s", value: (s) => s.eventsPerSMedian },
      { header: "range", value: (s) => `${Math.round(s.eventsPerSRange.min).toLocaleString("en-US")}–${Math.round(s.eventsPerSRange.max).toLocaleString("en-US")}` },
      { header: "recovery s", value: (s) => s.recoveryMsMedian / 1000, digits: 2 },
      { header: "read+decode events/s", value: (s) => s.decodeEventsPerSMedian },
      { header: "apply alone events/s", value: (s) => s.applyEventsPerSMedian },
      { header: "ready s", value: (s) => s.readyMsMedian / 1000, digits: 2 },
      { header: "rss MB", value: (s) => s.rssMbMedian },
    ],
    recovery.summaries,
  );
  const conditions = {
    quick,
    push:
      `POST /push (HTTP/1.1, ${httpConnections} keep-alive connections, 1 request in flight each) and TCP OP_PUSH msgpack ` +
      `(src/client TCP transport, ${tcpConnections} connections × ${tcpDepth} in flight), closed loop; ` +
      `one pre-built event ${JSON.stringify(PUSH_DATA)} into 1 table of 7 features (lifetime count/sum/min/max/n_unique, 1 h count/sum)`,
    timing: `${durationMs / 1000} s measured + ${warmupMs / 1000} s warm-up per measurement, ${rounds} rounds; one server (and data dir) per mode for all rounds, modes in rotating order within a round`,
    recovery:
      `log of N pushes (10 000 users, 200 merchants, seeded) + 1 registration (the 7-feature table above, or 1 count), written with FileCommandLog; ` +
      `${RECOVERY_ROUNDS} restarts each, replay rate from the server's "command log recovered" line; read+decode and apply alone ${RECOVERY_ROUNDS} times each in the bench process`,
    dataDir: tmpdir(),
    fdatasync: { before: fdatasyncBefore, after: fdatasyncAfter, appendSyncsPerS: syncsPerS },
    loadGenerator: "in the bench process (node:http Agent for HTTP, src/client for TCP); servers are child processes",
    compileCache: "servers start with NODE_COMPILE_CACHE (start-up only; recovery time is the server's own figure)",
    tesseraCommit: gitDescribe(),
    loadAvgAtEnd: machineFacts().loadAvg,
    ...machine,
  };
  const conditionLines = [
    `push: ${conditions.push}`,
    `timing: ${conditions.timing}`,
    `recovery: ${conditions.recovery}`,
    `disk: data dirs under ${conditions.dataDir}; raw fdatasync of a 4 KiB append p50/p99/mean ${fsyncText(fdatasyncBefore)} before the push rounds, ${fsyncText(fdatasyncAfter)} after; ` +
      `append+fdatasync cycles/s ${Math.round(syncsPerS.one)} one at a time, ${Math.round(syncsPerS.two)} with two fdatasyncs overlapping`,
    `node ${machine.node}, ${machine.cpuModel} × ${machine.cores} cores, ${machine.totalMemMb} MB, kernel ${machine.kernel}, load avg at start ${machine.loadAvg.join(" ")}, at end ${conditions.loadAvgAtEnd.join(" ")}`,
    `tessera: ${conditions.tesseraCommit}`,
  ];
  const legend =
    "ratio = pushes/s ÷ memory-only pushes/s on the same wire in the same round (median, range over rounds); p99 ratio likewise for p99 latency; " +
    "srv µs/push = server CPU per push; rec/batch = records per group-commit write; fsync µs = mean fdatasync time; " +
    "replay events/s = the server's recovery (read + decode + apply); read+decode events/s = the same log read without applying; " +
    "apply alone events/s = its records, decoded beforehand, applied through the server's replayCommand (the engine's share).";
  const title = `Tessera durability: command log cost and recovery (${startedAt.toISOString()}${quick ? ", --quick" : ""})`;
  const text = `${title}\n\n${pushTable}\n\n${recoveryTable}\n\n${conditionLines.join("\n")}\n\n${legend}\n`;
  process.stdout.write(`\n${text}`);

  const path = await writeResult("durability", startedAt, {
    bench: "durability",
    startedAt: startedAt.toISOString(),
    conditions,
    pushes,
    recovery: recovery.summaries,
    measurements: { pushes: pushMeasurements, recovery: recovery.measurements },
  });
  const md = `# ${title}\n\n\`\`\`\n${pushTable}\n\n${recoveryTable}\n\`\`\`\n\n${conditionLines.map((l) => `- ${l}`).join("\n")}\n\n${legend}\n`;
  await writeFile(path.replace(/\.json$/, ".md"), md);
  process.stdout.write(`results: ${path} (+ .md)\n`);
}

// --- main ----------------------------------------------------------------------------------------

await runMain(async () => {
  try {
    await run();
  } catch (e) {
    for (const s of live) process.stderr.write(s.stderr());
    throw e;
  } finally {
    await Promise.all([...live].map((s) => s.stop()));
    rmSync(scratch, { recursive: true, force: true });
  }
});
