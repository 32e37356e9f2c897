/**
 * Apply cost per event. Run: node_modules/.bin/node --experimental-transform-types bench/engine/apply.ts
 *
 * For each workload, per run: a fresh engine, then applyPush over a pre-generated stream (prepare is
 * measured separately). Baseline in the same run: a bare Map.get + Map.set counter loop over the
 * same user keys. Reports medians over RUNS runs, in ns/event, and the ratio to the baseline.
 */
import { engineWith, EVENT, fmt, fraudNodes, median, stream, table, twelveFeatures } from "./workloads.ts";
import type { Stream } from "./workloads.ts";

const RUNS = 7;
const N = 500_000;
/** ENTITIES=1000 shows the cache-resident (compute-bound) cost; the default is the brief's 100k. */
const ENTITIES = Number(process.env.ENTITIES ?? 100_000);

function baseline(s: Stream): number {
  const m = new Map<string, number>();
  const t = process.hrtime.bigint();
  for (let i = 0; i < s.keys.length; i++) {
    const k = s.keys[i]!;
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return Number(process.hrtime.bigint() - t) / s.keys.length;
}

function applyRun(nodes: unknown[], s: Stream): { apply: number; prepare: number } {
  const e = engineWith(nodes);
  const n = s.rows.length;
  const commands = new Array(n);
  let t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const p = e.preparePush("prod", "txn", s.rows[i], s.times[i]!);
    if (p.kind !== "apply") throw new Error("unexpected replay");
    commands[i] = p.command;
  }
  const prepare = Number(process.hrtime.bigint() - t) / n;
  t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) e.applyPush(commands[i], i, s.times[i]!);
  const apply = Number(process.hrtime.bigint() - t) / n;
  return { apply, prepare };
}

function bench(name: string, nodes: unknown[], features: number, s: Stream): void {
  const base: number[] = [];
  const apply: number[] = [];
  const prepare: number[] = [];
  applyRun(nodes, s); // warm-up (JIT)
  for (let r = 0; r < RUNS; r++) {
    base.push(baseline(s));
    const x = applyRun(nodes, s);
    apply.push(x.apply);
    prepare.push(x.prepare);
  }
  const b = median(base);
  const a = median(apply);
  console.log(
    `${name}: ${features} features, ${N} events, zipf(0.99) over ${ENTITIES} keys/table | applyPush ${fmt(a)} ns/event (${fmt(a / features, 1)} ns/feature), ` +
      `preparePush ${fmt(median(prepare))} ns/event | baseline Map.get+set ${fmt(b)} ns/op | apply/baseline ${fmt(a / b, 1)}x`,
  );
}

// 1 event per 10 ms: 500k events span ~83 min, so windows slide and buckets rotate.
const s = stream(N, ENTITIES, 10);
bench("12-feature table", [EVENT, table("user_txn", "user", JSON.parse(JSON.stringify(twelveFeatures())))], 12, s);
const fraud = fraudNodes();
bench("fraud pipeline (5 tables)", fraud, 100, s);
console.log(`node ${process.version}, ${process.arch}; medians of ${RUNS} runs after one warm-up run`);
