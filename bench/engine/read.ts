/**
 * Read cost per row. Run: node_modules/.bin/node --experimental-transform-types bench/engine/read.ts
 *
 * Loads the 12-feature table (and the 30-feature pack) with the apply benchmark's stream, then reads
 * every feature of random existing keys at a fixed `now` (all windows evaluated at read time).
 * Baseline in the same run: Map.get of the same keys plus copying 12 (30) numbers into a new array.
 */
import { rng } from "../lib/random.ts";
import { engineWith, EVENT, fmt, median, stream, table, thirtyFeatures, twelveFeatures } from "./workloads.ts";

const RUNS = 7;
const READS = 200_000;

function bench(name: string, agg: Record<string, unknown>, features: number): void {
  const s = stream(300_000, 100_000, 10);
  const e = engineWith([EVENT, table("t", "user", JSON.parse(JSON.stringify(agg)))]);
  for (let i = 0; i < s.rows.length; i++) {
    const p = e.preparePush("prod", "txn", s.rows[i], s.times[i]!);
    if (p.kind === "apply") e.applyPush(p.command, i, s.times[i]!);
  }
  const now = s.times[s.times.length - 1]! + 1;
  const r = rng(7);
  const keys = Array.from({ length: READS }, () => s.keys[Math.floor(r.next() * s.keys.length)]!);
  const base = new Map<string, number[]>(s.keys.map((k) => [k, Array.from({ length: features }, (_v, i) => i + 0.5)]));
  const engineNs: number[] = [];
  const baseNs: number[] = [];
  let sink = 0;
  for (let r = 0; r <= RUNS; r++) {
    let t = process.hrtime.bigint();
    for (const k of keys) sink += e.read("prod", "t", k, undefined, now)!.values.length;
    const x = Number(process.hrtime.bigint() - t) / READS;
    t = process.hrtime.bigint();
    for (const k of keys) sink += base.get(k)!.slice().length;
    const b = Number(process.hrtime.bigint() - t) / READS;
    if (r > 0) {
      engineNs.push(x);
      baseNs.push(b);
    }
  }
  const x = median(engineNs);
  const b = median(baseNs);
  console.log(`${name}: read all ${features} features of a random key (100k keys): ${fmt(x)} ns/row | baseline Map.get+copy ${fmt(b)} ns | ratio ${fmt(x / b, 1)}x ${sink > 0 ? "" : "!"}`);
}

bench("12-feature table", twelveFeatures(), 12);
bench("30-feature pack", thirtyFeatures(), 30);
console.log(`node ${process.version}; medians of ${RUNS} runs after one warm-up run`);
