/**
 * Auth cost bench (issue 7 "Measure"): the price of `--auth required` on the two hot paths, measured
 * against the same server with `--auth off` in the same run.
 *
 *   GetFeatures   POST /api/v1/feature-service/get-features (10 tables × 3 features, names + types),
 *                 HTTP/1.1 keep-alive, closed loop, from the out-of-process generator (tcp-load.ts,
 *                 http1 tapes); with auth the tape carries `Authorization: Tecton-key <consumer key>`.
 *   TCP push      framed TCP pushes (msgpack), pipelined, closed loop; with auth each connection sends
 *                 OP_AUTH first. Generated in this process (the tape generator has no per-connection
 *                 preamble), with replies only framed and counted.
 *
 * The servers run side by side as children (memory-only, test mode for preloading, warn-level logs):
 * auth off, auth required, and a second auth-off server as an A/A control. Each round measures the
 * three back to back (the order rotates) and reports required/off for throughput and for server CPU
 * per request, next to off2/off, the spread the machine alone produces. Target: throughput ratio ≥ 0.95.
 *
 * On a shared machine those ratios swing with the neighbours' load, so a third server (auth
 * required, V8 CPU profiler on) runs both loads once more and the bench reports the share of its
 * busy CPU samples spent in auth code (src/auth/**, src/service/authorization.ts): the cost of auth
 * measured inside one process, which other load does not skew. Not attributed: node parsing the
 * extra Authorization header.
 *
 * Run: node_modules/.bin/node --experimental-transform-types --disable-warning=ExperimentalWarning \
 *        bench/auth/auth-cost.ts [--quick] [--rounds N] [--duration-s N]
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { pack } from "msgpackr";
import { readCpuProfile } from "../lib/cpu-profile.ts";
import { CT_JSON, CT_MSGPACK, encodeFrame, OP_AUTH, OP_ERROR, OP_PUSH } from "../lib/frames.ts";
import { positive, ROUND_FLAGS } from "../lib/flags.ts";
import { buildHttp1Tape } from "../lib/http1-tape.ts";
import { machineFacts, processCpuMs } from "../lib/machine.ts";
import { writeResult } from "../lib/results.ts";
import type { HostPort } from "../lib/spawn-child.ts";
import { median, range } from "../lib/stats.ts";
import { formatTable } from "../lib/table.ts";
import { TcpLoadGenerator } from "../lib/tcp-load.ts";
import { spawnTessera, type TesseraServer } from "../lib/tessera-server.ts";
import { REST_PATH } from "../serving/cases.ts";
import { getFeaturesWorkload, preloadBodies, PUSH_AT_MS, READ_AT_MS, registerBody, EVENT, userKey } from "../serving/workload.ts";

const { values: argv } = parseArgs({
  options: {
    ...ROUND_FLAGS,
    "no-profile": { type: "boolean", default: false },
    entities: { type: "string", default: "10000" },
    help: { type: "boolean", default: false },
  },
});
if (argv.help) {
  process.stdout.write("bench/auth/auth-cost.ts [--quick] [--rounds N (5)] [--duration-s N (3)] [--warmup-s N (1)] [--entities N (10000)] [--no-profile]\n");
  process.exit(0);
}
const quick = argv.quick;
const rounds = Math.round(positive("rounds", argv.rounds ?? (quick ? "1" : "5")));
const durationMs = positive("duration-s", argv["duration-s"] ?? (quick ? "1.5" : "3")) * 1000;
const warmupMs = positive("warmup-s", argv["warmup-s"] ?? (quick ? "0.5" : "1")) * 1000;
const entities = Math.round(positive("entities", argv.entities));
const HTTP_CONNECTIONS = 16;
const TCP_CONNECTIONS = 4;
const TCP_DEPTH = 64;
const ADMIN_KEY = "bench-admin-key-0123456789abcdef";

interface Server extends TesseraServer {
  readonly tcp: HostPort;
}

async function spawnServer(auth: "off" | "required", nodeArgs: readonly string[] = []): Promise<Server> {
  const server = await spawnTessera(["--tcp", "127.0.0.1:0", "--test-mode", "--auth", auth], { nodeArgs, env: auth === "required" ? { TESSERA_ADMIN_KEY: ADMIN_KEY } : {} });
  const tcp = server.tcp;
  if (tcp === null) throw new Error("the server did not open its TCP listener");
  return { ...server, tcp };
}

async function call(server: Server, path: string, body: unknown, key?: string): Promise<any> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (key !== undefined) headers["authorization"] = `Tecton-key ${key}`;
  const res = await fetch(`${server.url}${path}`, { method: "POST", headers, body: typeof body === "string" ? body : JSON.stringify(body) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`POST ${path}: ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/** Registry, preloaded entities and (with auth) a consumer and an editor service account. */
async function prepare(server: Server, auth: boolean): Promise<{ consumer?: string; editor?: string }> {
  const key = auth ? ADMIN_KEY : undefined;
  await call(server, "/register", registerBody(), key);
  await call(server, "/test/clock", { now_ms: PUSH_AT_MS }, key);
  for (const body of preloadBodies(entities)) await call(server, "/push_batch", body, key);
  await call(server, "/test/clock", { now_ms: READ_AT_MS }, key);
  if (!auth) return {};
  const account = async (name: string, role: string): Promise<string> => {
    const r = await call(server, "/tessera.auth.v1.AuthService/CreateServiceAccount", { name }, ADMIN_KEY);
    await call(server, "/tessera.auth.v1.AuthService/AssignRoles", {
      assignments: [{ resourceType: "RESOURCE_TYPE_WORKSPACE", resourceId: "prod", role, principalType: "PRINCIPAL_TYPE_SERVICE_ACCOUNT", principalId: r.serviceAccount.id }],
    }, ADMIN_KEY);
    return r.apiKey as string;
  };
  return { consumer: await account("bench-consumer", "consumer"), editor: await account("bench-editor", "editor") };
}

interface Measured {
  readonly rps: number;
  readonly serverCpuUsPerReq: number | null;
  readonly errors: number;
  readonly firstError: string | null;
}

// --- TCP push load: pipelined frames, OP_AUTH first when a key is given ---------------------------

async function tcpPushes(server: Server, key: string | undefined): Promise<Measured> {
  const pushes = Array.from({ length: 256 }, (_, i) => encodeFrame(OP_PUSH, CT_MSGPACK, pack({ event: EVENT, data: { user: userKey(i % entities), merchant: "m00001", amt: 12.5, qty: 2 } })));
  const size = pushes[0]!.length;
  if (pushes.some((p) => p.length !== size)) throw new Error("push frames must have one size");
  const tape = Buffer.concat(pushes);
  let replies = 0;
  let errors = 0;
  let firstError: string | null = null;
  let measuring = false;
  let stop = false;
  const sockets: Socket[] = [];
  const open = async (): Promise<void> => {
    const socket = connect({ host: server.tcp.host, port: server.tcp.port, noDelay: true });
    sockets.push(socket);
    await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
    let buf: Buffer = Buffer.alloc(0);
    let authed = key === undefined;
    let cursor = 0;
    const send = (n: number): void => {
      if (stop || n === 0) return;
      const chunks: Buffer[] = [];
      while (n > 0) {
        const take = Math.min(n, pushes.length - cursor);
        chunks.push(tape.subarray(cursor * size, (cursor + take) * size));
        cursor = (cursor + take) % pushes.length;
        n -= take;
      }
      socket.write(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    };
    socket.on("data", (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      let at = 0;
      let done = 0;
      while (buf.length - at >= 4) {
        const len = buf.readUInt32BE(at);
        if (buf.length - at < 4 + len) break;
        const op = buf.readUInt16BE(at + 4);
        if (!authed) {
          if (op !== OP_AUTH) throw new Error(`OP_AUTH failed: ${buf.toString("utf8", at + 7, at + 4 + len)}`);
          authed = true;
          send(TCP_DEPTH);
        } else {
          if (op === OP_ERROR) {
            errors++;
            firstError ??= buf.toString("utf8", at + 7, at + 4 + len);
          } else if (measuring) replies++;
          done++;
        }
        at += 4 + len;
      }
      buf = at === buf.length ? Buffer.alloc(0) : buf.subarray(at);
      send(done);
    });
    if (key === undefined) send(TCP_DEPTH);
    else socket.write(encodeFrame(OP_AUTH, CT_JSON, Buffer.from(JSON.stringify({ api_key: key }))));
  };
  await Promise.all(Array.from({ length: TCP_CONNECTIONS }, open));
  await sleep(warmupMs);
  const cpu0 = processCpuMs(server.pid);
  const t0 = performance.now();
  measuring = true;
  await sleep(durationMs);
  measuring = false;
  const elapsed = performance.now() - t0;
  const cpu1 = processCpuMs(server.pid);
  const counted = replies;
  stop = true;
  for (const s of sockets) s.destroy();
  return {
    rps: counted / (elapsed / 1000),
    serverCpuUsPerReq: cpu0 === null || cpu1 === null ? null : ((cpu1 - cpu0) * 1000) / counted,
    errors,
    firstError,
  };
}

// --- GetFeatures over HTTP/1.1 ----------------------------------------------------------------------

async function getFeatures(gen: TcpLoadGenerator, server: Server, key: string | undefined): Promise<Measured> {
  const work = getFeaturesWorkload(512, entities, "names");
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (key !== undefined) headers["authorization"] = `Tecton-key ${key}`;
  const tapePath = gen.saveTape(buildHttp1Tape("POST", REST_PATH, `${server.http.host}:${server.http.port}`, headers, work.jsonBodies));
  const r = await gen.run({
    kind: "closed",
    protocol: "http1",
    host: server.http.host,
    port: server.http.port,
    connections: HTTP_CONNECTIONS,
    depth: 1,
    warmupMs,
    durationMs,
    tapePath,
    expectOp: 200,
    observePids: [server.pid],
  });
  return { rps: r.fps, serverCpuUsPerReq: r.observed[0]?.cpuUsPerRequest ?? null, errors: r.errors, firstError: r.firstError };
}

// --- attribution: auth's share of a profiled server's CPU ------------------------------------------------

const AUTH_CODE = /\/src\/auth\/|\/src\/service\/authorization\.ts$/;
const NOT_BUSY = new Set(["(idle)", "(program)"]);

/**
 * Self samples in auth code / busy samples (idle and "(program)" excluded), with the top auth
 * functions, over the samples taken `fromEndMs` = [lo, hi] milliseconds before the profile ended (the
 * measured load window, located from the end because the profile ends when the server exits).
 */
function authShare(dir: string, fromEndMs: readonly [number, number]): { share: number; busySamples: number; top: [string, number][] } {
  const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
  if (file === undefined) throw new Error(`no CPU profile in ${dir}`);
  const profile = readCpuProfile(join(dir, file));
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  let busy = 0;
  let auth = 0;
  const byFunction = new Map<string, number>();
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i]!;
    const beforeEndMs = (profile.endTime - t) / 1000;
    if (beforeEndMs < fromEndMs[0] || beforeEndMs > fromEndMs[1]) continue;
    const frame = nodes.get(profile.samples[i]!)!.callFrame;
    if (NOT_BUSY.has(frame.functionName)) continue;
    busy++;
    if (AUTH_CODE.test(frame.url)) {
      auth++;
      const name = `${frame.functionName || "(anonymous)"} ${frame.url.slice(frame.url.indexOf("/src/") + 1)}`;
      byFunction.set(name, (byFunction.get(name) ?? 0) + 1);
    }
  }
  return { share: auth / busy, busySamples: busy, top: [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 5) };
}

// --- main ---------------------------------------------------------------------------------------------

const startedAt = new Date();
const facts = machineFacts();
process.stdout.write(`auth cost: ${rounds} round(s), ${durationMs / 1000} s windows, ${entities} entities; ${facts.cpuModel}, ${facts.cores} cores, load ${facts.loadAvg.join("/")}\n`);
const off = await spawnServer("off");
const required = await spawnServer("required");
// The A/A control: a second auth-off server, measured like the others. off2/off is what the machine's
// noise alone does to a ratio; required/off means something only when it falls outside that.
const off2 = await spawnServer("off");
const gen = await TcpLoadGenerator.start();
try {
  await prepare(off, false);
  await prepare(off2, false);
  const keys = await prepare(required, true);
  type Row = { round: number; case: string; off: Measured; required: Measured; control: Measured };
  const rows: Row[] = [];
  const cases: [string, (s: Server, key: string | undefined) => Promise<Measured>, string | undefined][] = [
    ["GetFeatures REST", (s, k) => getFeatures(gen, s, k), keys.consumer],
    ["TCP push", tcpPushes, keys.editor],
  ];
  for (let round = 0; round < rounds; round++) {
    for (const [name, run, key] of cases) {
      // The order rotates every round, so no server is always measured first or last.
      const order: ("off" | "required" | "control")[] = (["off", "required", "control"] as const).map((_, i, all) => all[(i + round) % 3]!);
      const got: Partial<Record<"off" | "required" | "control", Measured>> = {};
      for (const which of order) got[which] = await run(which === "off" ? off : which === "control" ? off2 : required, which === "required" ? key : undefined);
      const a = got.off!;
      const b = got.required!;
      const c = got.control!;
      for (const m of [a, b, c]) if (m.errors > 0) throw new Error(`${name}: ${m.errors} errors, first: ${m.firstError}`);
      rows.push({ round, case: name, off: a, required: b, control: c });
      process.stdout.write(
        `  round ${round + 1} ${name}: off ${Math.round(a.rps)}/s, required ${Math.round(b.rps)}/s (ratio ${(b.rps / a.rps).toFixed(3)}), second off ${Math.round(c.rps)}/s (A/A ratio ${(c.rps / a.rps).toFixed(3)})\n`,
      );
    }
  }
  const summary = cases.map(([name]) => {
    const mine = rows.filter((r) => r.case === name);
    const ratios = mine.map((r) => r.required.rps / r.off.rps);
    const cpu = mine.map((r) => (r.required.serverCpuUsPerReq ?? NaN) / (r.off.serverCpuUsPerReq ?? NaN));
    return {
      case: name,
      offRps: median(mine.map((r) => r.off.rps)),
      requiredRps: median(mine.map((r) => r.required.rps)),
      ratio: median(ratios),
      ratioRange: range(ratios),
      offCpuUs: median(mine.map((r) => r.off.serverCpuUsPerReq ?? NaN)),
      requiredCpuUs: median(mine.map((r) => r.required.serverCpuUsPerReq ?? NaN)),
      cpuRatio: median(cpu),
      controlRatio: median(mine.map((r) => r.control.rps / r.off.rps)),
      controlRange: range(mine.map((r) => r.control.rps / r.off.rps)),
    };
  });
  process.stdout.write(
    `\n${formatTable(
      [
        { header: "case", value: (s) => s.case },
        { header: "auth off req/s", value: (s) => s.offRps },
        { header: "auth required req/s", value: (s) => s.requiredRps },
        { header: "ratio (median)", value: (s) => s.ratio, digits: 3 },
        { header: "ratio min..max", value: (s) => `${s.ratioRange.min.toFixed(3)}..${s.ratioRange.max.toFixed(3)}` },
        { header: "server µs/req off", value: (s) => s.offCpuUs, digits: 1 },
        { header: "required", value: (s) => s.requiredCpuUs, digits: 1 },
        { header: "cpu ratio", value: (s) => s.cpuRatio, digits: 3 },
        { header: "A/A ratio min..max", value: (s) => `${s.controlRange.min.toFixed(3)}..${s.controlRange.max.toFixed(3)}` },
        // When two identical servers already differ by more than 5 %, the throughput ratio cannot tell.
        { header: "target ≥ 0.95", value: (s) => (s.controlRange.min < 0.95 || s.controlRange.max > 1.05 ? "inconclusive: A/A spread > 5 %" : s.ratio >= 0.95 ? "met" : "MISSED") },
      ],
      summary,
    )}\n`,
  );
  // Attribution: the same loads once more against a profiled auth-required server.
  let attribution: Record<string, ReturnType<typeof authShare>> | null = null;
  if (!argv["no-profile"]) {
    attribution = {};
    for (const [name, run] of cases) {
      const dir = mkdtempSync(join(tmpdir(), "tessera-auth-prof-"));
      const profiled = await spawnServer("required", ["--cpu-prof", "--cpu-prof-interval=250", `--cpu-prof-dir=${dir}`]);
      let loadStart = 0;
      let loadEnd = 0;
      try {
        const k = await prepare(profiled, true);
        loadStart = performance.now();
        await run(profiled, name === "TCP push" ? k.editor : k.consumer);
        loadEnd = performance.now();
      } finally {
        await profiled.stop(30_000);
      }
      const stopped = performance.now();
      // The measured window, as milliseconds before the profile's end (≈ when the server exited).
      attribution[name] = authShare(dir, [stopped - loadEnd + 100, stopped - loadStart - warmupMs - 100]);
      rmSync(dir, { recursive: true, force: true });
      const a = attribution[name]!;
      process.stdout.write(
        `attribution, ${name}: auth code is ${(a.share * 100).toFixed(2)} % of ${a.busySamples} busy CPU samples of the profiled server (implied throughput ratio ≥ ${(1 - a.share).toFixed(3)}); top: ${a.top.map(([f, n]) => `${f} ${n}`).join(", ") || "none"}\n`,
      );
    }
  }
  const path = await writeResult("auth-cost", startedAt, {
    bench: "auth-cost",
    startedAt: startedAt.toISOString(),
    machine: facts,
    conditions: { rounds, durationMs, warmupMs, entities, httpConnections: HTTP_CONNECTIONS, tcpConnections: TCP_CONNECTIONS, tcpDepth: TCP_DEPTH },
    summary,
    attribution,
    rows,
  });
  process.stdout.write(`results: ${path}\n`);
} finally {
  await gen.close();
  await off.stop();
  await off2.stop();
  await required.stop();
}
