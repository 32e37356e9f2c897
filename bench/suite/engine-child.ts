/**
 * The engine micro-benchmarks of bench/engine (apply.ts, read.ts) as a suite case, in a child process
 * of their own: the same workloads (bench/engine/workloads.ts: the 12-feature table and the 5-table,
 * ~100-feature fraud pipeline, zipf(0.99) keys), the same in-run baselines (a Map.get + Map.set
 * counter loop over the same keys; Map.get + copy of the row), but run per round and returned as
 * numbers instead of printed. bench/engine's scripts print and exit, so they cannot be imported.
 *
 * argv: <events> <entities> <rounds>. Prints one JSON line: EngineChildResult.
 */
import { rng } from "../lib/random.ts";
import { engineWith, EVENT, fraudNodes, stream, table, twelveFeatures, type Stream } from "../engine/workloads.ts";

export interface EngineSeries {
  readonly id: string;
  readonly title: string;
  /** ns per op, one value per round. */
  readonly subjectNs: number[];
  readonly baselineNs: number[];
  readonly features: number;
}

export interface EngineChildResult {
  readonly events: number;
  readonly entities: number;
  readonly rounds: number;
  readonly series: EngineSeries[];
}

const [eventsArg, entitiesArg, roundsArg] = process.argv.slice(2);
const EVENTS = Number(eventsArg ?? 500_000);
const ENTITIES = Number(entitiesArg ?? 100_000);
const ROUNDS = Number(roundsArg ?? 3);

function mapCounter(s: Stream): number {
  const m = new Map<string, number>();
  const t = process.hrtime.bigint();
  for (let i = 0; i < s.keys.length; i++) {
    const k = s.keys[i]!;
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return Number(process.hrtime.bigint() - t) / s.keys.length;
}

function applyRun(nodes: unknown[], s: Stream): number {
  const e = engineWith(nodes);
  const n = s.rows.length;
  const commands = new Array(n);
  for (let i = 0; i < n; i++) {
    const p = e.preparePush("prod", "txn", s.rows[i], s.times[i]!);
    if (p.kind !== "apply") throw new Error("unexpected replay");
    commands[i] = p.command;
  }
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) e.applyPush(commands[i], i, s.times[i]!);
  return Number(process.hrtime.bigint() - t) / n;
}

let sink = 0;

function apply(id: string, title: string, nodes: unknown[], features: number, s: Stream): EngineSeries {
  applyRun(nodes, s); // JIT warm-up, as bench/engine/apply.ts
  const subjectNs: number[] = [];
  const baselineNs: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    baselineNs.push(mapCounter(s));
    subjectNs.push(applyRun(nodes, s));
  }
  return { id, title, subjectNs, baselineNs, features };
}

function read(s: Stream): EngineSeries {
  const agg = JSON.parse(JSON.stringify(twelveFeatures())) as ReturnType<typeof twelveFeatures>;
  const e = engineWith([EVENT, table("t", "user", agg)]);
  for (let i = 0; i < s.rows.length; i++) {
    const p = e.preparePush("prod", "txn", s.rows[i], s.times[i]!);
    if (p.kind === "apply") e.applyPush(p.command, i, s.times[i]!);
  }
  const now = s.times[s.times.length - 1]! + 1;
  const r = rng(7);
  const reads = Math.min(200_000, s.rows.length);
  const keys = Array.from({ length: reads }, () => s.keys[Math.floor(r.next() * s.keys.length)]!);
  const base = new Map<string, number[]>(s.keys.map((k) => [k, Array.from({ length: 12 }, (_v, i) => i + 0.5)]));
  const subjectNs: number[] = [];
  const baselineNs: number[] = [];
  for (let round = 0; round <= ROUNDS; round++) {
    let t = process.hrtime.bigint();
    for (const k of keys) sink += e.read("prod", "t", k, undefined, now)!.values.length;
    const x = Number(process.hrtime.bigint() - t) / reads;
    t = process.hrtime.bigint();
    for (const k of keys) sink += base.get(k)!.slice().length;
    const b = Number(process.hrtime.bigint() - t) / reads;
    // Round 0 warms the JIT, as bench/engine/read.ts.
    if (round > 0) {
      subjectNs.push(x);
      baselineNs.push(b);
    }
  }
  return { id: "engine-read-12", title: "engine read, 12 features of a random key", subjectNs, baselineNs, features: 12 };
}

// 1 event per 10 ms: windows slide and buckets rotate over the stream (as bench/engine/apply.ts).
const s = stream(EVENTS, ENTITIES, 10);
const series = [
  apply("engine-apply-12", "engine apply, 12-feature table", [EVENT, table("user_txn", "user", JSON.parse(JSON.stringify(twelveFeatures())))], 12, s),
  apply("engine-apply-fraud", "engine apply, fraud pipeline (5 tables)", fraudNodes(), 100, s),
  read(s),
];
const result: EngineChildResult = { events: EVENTS, entities: ENTITIES, rounds: ROUNDS, series };
process.stdout.write(`${JSON.stringify(result)}\n`);
if (sink === -1) process.exitCode = 3;
