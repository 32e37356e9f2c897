import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { NODE_ARGS } from "../helpers/spawn-server.ts";

/**
 * Smoke test of the benchmark suite (bench/suite): the whole harness, every case, at tiny sizes and
 * 0.25 s windows, through `tessera bench` as a user runs it. It checks that the run completes and that
 * the result files carry every section; it asserts no timing (the numbers of a run this short on a
 * shared machine mean nothing). When redis-server is not installed the Redis case must say so.
 */

const CLI = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));
/** A guard against a hung child, not a timing assertion. */
const GUARD = { timeout: 240_000 };

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Node's compile cache keeps the TypeScript transform of the sources between the many starts. */
const COMPILE_CACHE = { NODE_COMPILE_CACHE: process.env["NODE_COMPILE_CACHE"] ?? join(tmpdir(), "tessera-bench-compile-cache") };

async function tessera(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  const child = spawn(process.execPath, [...NODE_ARGS, CLI, ...args], { env: { ...env, ...COMPILE_CACHE }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
  const [code] = (await once(child, "exit")) as [number | null];
  return { code, stdout, stderr };
}

const CASES = [
  "push-small-zipf",
  "push-medium-zipf",
  "push-medium-uniform-2k",
  "push-fraud-zipf",
  "get-medium-uniform",
  "getfeatures-read-heavy",
  "redis-medium",
  "durability-medium-zipf",
  "engine",
  "memory",
];

interface PairJson {
  id: string;
  title: string;
  notMeasured: string | null;
  ratio: { median: number } | null;
  subjectOpsPerS: number | null;
}

interface ReportJson {
  suite: string;
  startedAt: string;
  quick: boolean;
  machine: { node: string; cpuModel: string; cores: number; loadAvg: number[]; loadAvgEnd: number[] };
  conditions: Record<string, unknown>;
  cases: { id: string; group: string; workload: string; skipped: string | null; conditions: Record<string, unknown>; pairs: PairJson[]; memory?: { pack: string; entities: number; bytesPerEntity: number | null; error: string | null }[] }[];
  table: string;
}

describe("tessera bench (smoke, tiny sizes)", GUARD, () => {
  const out = mkdtempSync(join(tmpdir(), "tessera-bench-smoke-"));
  let run: Run;
  let report: ReportJson;
  let md: string;

  before(async () => {
    run = await tessera(["bench", "--quick", "--entities", "2000", "--memory-entities", "2000", "--duration-s", "0.25", "--warmup-s", "0.1", "--out", out]);
    assert.equal(run.code, 0, `tessera bench exited ${run.code}:\n${run.stderr.slice(-3000)}`);
    const files = readdirSync(out);
    const json = files.find((f) => f.endsWith(".json"));
    assert.ok(json !== undefined, `no .json in ${out}: ${files.join(", ")}`);
    // Named by the ISO start time (':' replaced for every filesystem), with a .md next to it.
    assert.match(json, /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ\.json$/);
    assert.ok(files.includes(json.replace(/\.json$/, ".md")), `no .md next to ${json}`);
    report = JSON.parse(readFileSync(join(out, json), "utf8")) as ReportJson;
    md = readFileSync(join(out, json.replace(/\.json$/, ".md")), "utf8");
  });

  after(() => rmSync(out, { recursive: true, force: true }));

  test("prints one table on stdout and says where the results are", () => {
    assert.match(run.stdout, /^measure +workload +tessera +baseline +ratio \(range\)/m);
    assert.equal(run.stdout.match(/^measure +workload/gm)?.length, 1, "exactly one table");
    assert.match(run.stdout, /results: .+\.json\n +.+\.md/);
    assert.ok(run.stdout.includes(report.table), "stdout carries the table of the result file");
  });

  test("the result file has machine facts and the run's conditions", () => {
    assert.equal(report.suite, "tessera-bench");
    assert.equal(report.quick, true);
    assert.match(report.machine.node, /^v\d+\./);
    assert.ok(report.machine.cpuModel.length > 0);
    assert.ok(report.machine.cores >= 1);
    assert.equal(report.machine.loadAvg.length, 3);
    assert.equal(report.machine.loadAvgEnd.length, 3);
    for (const k of ["schedule", "timing", "servers", "baselines", "loadGenerators", "connections", "openLoop", "keys", "sizes"]) assert.ok(k in report.conditions, `conditions.${k}`);
  });

  test("every case is there, with its workload and conditions", () => {
    assert.deepEqual(report.cases.map((c) => c.id), CASES);
    for (const c of report.cases) {
      assert.ok(c.workload.length > 0, `${c.id}: workload`);
      if (c.skipped === null) assert.ok(Object.keys(c.conditions).length > 0, `${c.id}: conditions`);
    }
  });

  test("every pair has a ratio or says why not", () => {
    for (const c of report.cases) {
      for (const p of c.pairs) {
        if (p.notMeasured === null) assert.ok(p.ratio !== null && Number.isFinite(p.ratio.median) && p.ratio.median > 0, `${p.id}: ratio ${JSON.stringify(p.ratio)}`);
        else assert.ok(p.notMeasured.length > 0, `${p.id}: reason`);
      }
    }
    // The harness measures: the plainest pair (small pack, TCP push vs the frame echo) has a number.
    const push = report.cases.find((c) => c.id === "push-small-zipf")!.pairs.find((p) => p.id === "push-small-zipf/tcp")!;
    assert.equal(push.notMeasured, null, `push-small-zipf/tcp: ${push.notMeasured}`);
    assert.ok(push.subjectOpsPerS! > 0);
  });

  test("the Redis comparison ran, or the table says redis-server is not installed", () => {
    const redis = report.cases.find((c) => c.id === "redis-medium")!;
    assert.deepEqual(redis.pairs.map((p) => p.id), ["redis-medium/push", "redis-medium/read"]);
    if (redis.skipped !== null) {
      assert.match(redis.skipped, /not installed: skipped/);
      assert.match(report.table, /not installed: skipped/);
    } else {
      assert.match(String(redis.conditions["parity"]), /agree/);
    }
  });

  test("memory: bytes per entity for the small, medium and fraud packs", () => {
    const memory = report.cases.find((c) => c.id === "memory")!.memory!;
    assert.deepEqual(memory.map((m) => m.pack), ["small", "medium", "fraud"]);
    for (const m of memory) {
      assert.equal(m.entities, 2000);
      assert.equal(m.error, null, `${m.pack}: ${m.error}`);
      assert.ok(m.bytesPerEntity! > 0, `${m.pack}: ${m.bytesPerEntity}`);
    }
  });

  test("the .md has the table, the machine and the conditions", () => {
    assert.ok(md.includes(report.table));
    assert.match(md, /^Machine: node v\d+/m);
    assert.match(md, /^## Conditions$/m);
    assert.match(md, /^## Per case$/m);
  });
});

test("without redis-server the Redis rows say it is not installed and the run still succeeds", GUARD, async () => {
  const out = mkdtempSync(join(tmpdir(), "tessera-bench-noredis-"));
  try {
    const r = await tessera(["bench", "--quick", "--only", "redis", "--out", out], { ...process.env, REDIS_SERVER: join(out, "no-such-redis-server") });
    assert.equal(r.code, 0, r.stderr.slice(-2000));
    const rows = r.stdout.split("\n").filter((l) => l.includes("Tessera TCP vs Redis"));
    assert.equal(rows.length, 2, r.stdout);
    for (const row of rows) assert.match(row, /redis-server not installed: skipped/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test("tessera bench --help shows the suite's options", GUARD, async () => {
  const r = await tessera(["bench", "--help"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /--quick/);
  assert.match(r.stdout, /--only/);
});
