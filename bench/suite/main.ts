/**
 * The whole benchmark suite in one command (`npm run bench`, `tessera bench`): every case against a
 * freshly started Tessera child (memory-only unless the case says otherwise), each pair next to its
 * in-run baseline, a progress bar on stderr, ONE table on stdout, and bench/results/<ISO time>.json
 * and .md with machine facts, conditions and ratios. `--quick`: a smoke run in under 2 minutes.
 *
 * Run: node_modules/.bin/node --experimental-transform-types --disable-warning=ExperimentalWarning \
 *        bench/suite/main.ts [--quick] [--help]          (see bench/suite/README.md)
 */
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { spawnBareEcho, type BareEcho } from "../lib/bare-echo.ts";
import { spawnBareFrameEcho, type BareFrameEcho } from "../lib/bare-frame-echo.ts";
import { gitDescribe } from "../lib/git-describe.ts";
import { machineFacts } from "../lib/machine.ts";
import { runMain } from "../lib/run-main.ts";
import { TcpLoadGenerator } from "../lib/tcp-load.ts";
import { durabilityCase } from "./cases/durability.ts";
import { engineCase } from "./cases/engine.ts";
import { getCase } from "./cases/get.ts";
import { getFeaturesCase } from "./cases/getfeatures.ts";
import { memoryCase } from "./cases/memory.ts";
import { pushCase } from "./cases/push.ts";
import { redisCase } from "./cases/redis.ts";
import { stopAll, track } from "./children.ts";
import type { CaseResult, CaseSpec, SuiteContext } from "./context.ts";
import { ZIPF_ALPHA } from "./keys.ts";
import { HELP, parseOptions, type SuiteOptions } from "./options.ts";
import { createProgress } from "./progress.ts";
import { conditionLines, LEGEND, machineLine, renderTable, writeReport, type SuiteReport } from "./report.ts";

/** Every case of the suite, in run order, narrowed by `--only` (case ids or groups). */
function planCases(o: SuiteOptions): CaseSpec[] {
  const all: CaseSpec[] = [
    pushCase(o, { pack: "small", dist: "zipf", entities: (x) => x.pushEntities, wires: ["tcp", "http"] }),
    pushCase(o, { pack: "medium", dist: "zipf", entities: (x) => x.pushEntities, wires: ["tcp", "http"] }),
    pushCase(o, { pack: "medium", dist: "uniform", entities: (x) => x.pushLargeEntities, wires: ["tcp"], preloadAll: true, tapeFactor: 4 }),
    pushCase(o, { pack: "fraud", dist: "zipf", entities: (x) => x.pushEntities, wires: ["tcp", "http"] }),
    getCase(o),
    getFeaturesCase(o),
    redisCase(o),
    durabilityCase(o),
    engineCase(o),
    memoryCase(o),
  ];
  const only = o.only;
  if (only === null) return all;
  const picked = all.filter((c) => only.has(c.id) || only.has(c.group));
  const unknown = [...only].filter((x) => !all.some((c) => c.id === x || c.group === x));
  if (unknown.length > 0) throw new Error(`--only: unknown case or group ${unknown.join(", ")}; cases: ${all.map((c) => c.id).join(", ")}`);
  return picked;
}

async function runSuite(o: SuiteOptions): Promise<{ report: SuiteReport; paths: { json: string; md: string } }> {
  const startedAt = new Date();
  const machine = machineFacts();
  const cases = planCases(o);
  const total = cases.reduce((s, c) => s + c.steps, 0) + 1;
  const progress = createProgress(total, process.stderr, o.verbose);
  progress.log(`tessera bench${o.quick ? " --quick" : ""}: ${cases.length} cases, ${o.rounds} round(s) of ${o.durationS} s (+${o.warmupS} s warm-up); ${machine.cpuModel} × ${machine.cores}, load average ${machine.loadAvg.join(" ")}`);
  progress.start("starting the baselines and the load generator");
  const started = await Promise.allSettled([spawnBareEcho(undefined, { json: true }), spawnBareFrameEcho(), TcpLoadGenerator.start()]);
  for (const r of started) if (r.status === "fulfilled") track(r.value);
  const failed = started.find((r) => r.status === "rejected");
  if (failed !== undefined) {
    progress.stop();
    await stopAll();
    throw failed.reason;
  }
  const [jsonEcho, frameEcho, gen] = started.map((r) => (r as PromiseFulfilledResult<unknown>).value) as [BareEcho, BareFrameEcho, TcpLoadGenerator];
  progress.done();
  const ctx: SuiteContext = {
    opts: o,
    gen,
    jsonEcho,
    frameEcho,
    hooks: { onStart: (l) => progress.start(l), onDone: () => progress.done(), onResult: (l) => progress.detail(l) },
    log: (l) => progress.log(l),
    step: (l) => {
      progress.start(l);
      progress.done();
    },
  };
  const results: CaseResult[] = [];
  let planned = 1;
  try {
    for (const c of cases) {
      progress.start(`${c.id}: setting up`);
      const t0 = performance.now();
      let r: CaseResult;
      try {
        r = await c.run(ctx);
      } catch (e) {
        // A case's own failures are in its result; this is a bug or a lost child.
        r = { id: c.id, group: c.group, title: c.title, workload: c.workload, skipped: `failed: ${(e as Error).message.split("\n")[0]}`, conditions: {}, pairs: [] };
      }
      results.push(r);
      planned += c.steps;
      progress.syncTo(planned);
      const notes = r.skipped !== null ? ` (${r.skipped})` : r.pairs.some((p) => p.notMeasured !== null) ? " (some pairs not measured)" : "";
      progress.log(`${c.id}: done in ${Math.round((performance.now() - t0) / 1000)} s${notes}`);
    }
  } finally {
    progress.stop();
    await stopAll();
  }
  const finishedAt = new Date();
  const table = renderTable(results);
  const report: SuiteReport = {
    suite: "tessera-bench",
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    elapsedS: (finishedAt.getTime() - startedAt.getTime()) / 1000,
    quick: o.quick,
    machine: { ...machine, loadAvgEnd: machineFacts().loadAvg },
    tesseraCommit: gitDescribe(),
    conditions: {
      schedule: `${o.prime ? "every pair primed once unrecorded; then " : ""}${o.rounds} round(s); in each round the two sides of a pair run back to back (baseline first in even rounds, Tessera first in odd ones); ratios taken within a round, medians over rounds`,
      timing: `${o.durationS} s measured after ${o.warmupS} s of unmeasured load, per measurement`,
      servers: "a fresh `tessera serve` child per case: --memory-only --auth off --log-level warn, HTTP + TCP + admin on loopback (free ports); the durability case adds one with --fsync interval; the GetFeatures case adds --test-mode (its clock is pinned)",
      baselines:
        "bare node http JSON echo (bench/lib/bare-echo-child.ts: JSON.parse of the body, JSON.stringify of a 3-field reply); bare framed-TCP echo (bench/lib/bare-frame-echo-child.ts: frames split, msgpack decoded, fixed reply, replies of one read corked); " +
        "empty connect-node FeatureService (bench/serving/empty-connect-child.ts); redis-server + ioredis (bench/redis); started once per suite, except the Connect and Redis ones (per case)",
      loadGenerators:
        "TCP and HTTP/1.1: one separate process (bench/lib/tcp-load-child.ts) sending pre-encoded frames / requests from a tape and only framing the replies; gRPC: node:http2 in the bench process; Redis: ioredis in a separate process",
      connections: `${o.connections} (HTTP: keep-alive, 1 request in flight each; TCP: depth ${o.depth} pipelined; Redis comparison: depth ${o.redisDepth} on both systems)`,
      openLoop: `rate = ${o.openFraction} × the max Tessera reached on the same wire in the same round; the baseline at the same rate; latency from the due time (no coordinated omission); spin ${o.spin}`,
      keys: `seeded generators (mulberry32); zipf α=${ZIPF_ALPHA} ranks scattered over the key space, or uniform`,
      sizes: { pushEntities: o.pushEntities, pushLargeEntities: o.pushLargeEntities, getEntities: o.getEntities, servingEntities: o.servingEntities, redisEntities: o.redisEntities, tapeEvents: o.tapeEvents, memoryEntities: o.memoryEntities },
    },
    cases: results,
    table,
  };
  const paths = await writeReport(o.outDir, report);
  return { report, paths };
}

async function main(): Promise<void> {
  const parsed = parseOptions(process.argv.slice(2));
  if (parsed === "help") {
    process.stdout.write(HELP);
    return;
  }
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.once(sig, () => {
      process.stderr.write(`\n${sig}: stopping the servers\n`);
      void stopAll().finally(() => process.exit(130));
    });
  }
  const { report, paths } = await runSuite(parsed);
  const title = `Tessera benchmark suite, ${report.startedAt}${report.quick ? " (--quick)" : ""}`;
  process.stdout.write(
    [
      "",
      title,
      machineLine(report.machine),
      "",
      report.table,
      "",
      ...LEGEND,
      "",
      "conditions:",
      ...Object.entries(report.conditions).map(([k, v]) => `  ${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`),
      ...conditionLines(report.cases).map((l) => `  ${l}`),
      "",
      `results: ${paths.json}`,
      `         ${paths.md}`,
      "",
    ].join("\n"),
  );
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  await runMain(async () => {
    try {
      await main();
    } catch (e) {
      await stopAll();
      throw e;
    }
  });
}
