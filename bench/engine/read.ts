/**
 * Read cost per row. Run:
 *   node_modules/.bin/node --experimental-transform-types --disable-warning=ExperimentalWarning bench/engine/read.ts
 *
 * Loads one table (the 12-feature table, then the 30-feature pack) with LOAD events (zipf(0.99) over
 * 100k users, 10 ms apart: ~50 min, so hot users have most of a 1h window's 64 buckets), then reads
 * every feature of READS keys drawn from the stream (so as skewed as the pushes: hot users, with
 * full windows and sketch states, are read most) at one `now` just after the last event; every
 * window is evaluated at read time. Baseline ("floor") in the same run, alternated round by round:
 * Map.get of the same keys plus copying as many numbers into a new array. Medians of ROUNDS rounds.
 *
 * Env: LOAD (default 300000), READS (default 100000), ROUNDS (default 5).
 */
import { rng } from "../lib/random.ts";
import { engineWith, EVENT, fmt, median, stream, table, thirtyFeatures, twelveFeatures } from "./workloads.ts";

const LOAD = Number(process.env.LOAD ?? 300_000);
const READS = Number(process.env.READS ?? 100_000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const ENTITIES = 100_000;

function bench(name: string, agg: Record<string, unknown>, features: number): void {
  const s = stream(LOAD, ENTITIES, 10);
  const e = engineWith([EVENT, table("t", "user", JSON.parse(JSON.stringify(agg)))]);
  for (let i = 0; i < s.rows.length; i++) {
    const p = e.preparePush("prod", "txn", s.rows[i], s.times[i]!);
    if (p.kind === "apply") e.applyPush(p.command, i, s.times[i]!);
  }
  const now = s.times[s.times.length - 1]! + 1;
  const r = rng(7);
  const keys = Array.from({ length: READS }, () => s.keys[Math.floor(r.next() * s.keys.length)]!);
  const floorMap = new Map<string, number[]>(s.keys.map((k) => [k, Array.from({ length: features }, (_v, i) => i + 0.5)]));
  const engineNs: number[] = [];
  const floorNs: number[] = [];
  let sink = 0;
  for (let round = 0; round <= ROUNDS; round++) {
    let t = process.hrtime.bigint();
    for (const k of keys) sink += e.read("prod", "t", k, undefined, now)!.values.length;
    const x = Number(process.hrtime.bigint() - t) / READS;
    t = process.hrtime.bigint();
    for (const k of keys) sink += floorMap.get(k)!.slice().length;
    const b = Number(process.hrtime.bigint() - t) / READS;
    // Round 0 is the warm-up.
    if (round > 0) {
      engineNs.push(x);
      floorNs.push(b);
    }
  }
  const x = median(engineNs);
  const b = median(floorNs);
  console.log(
    `read | ${name}: ${features} features, all read | table loaded with ${LOAD} events, zipf(0.99) over ${ENTITIES} users | ${READS} reads of stream-drawn users | ` +
      `engine ${fmt(x)} ns/row (${fmt(x / features, 1)} ns/feature) [min ${fmt(Math.min(...engineNs))}, max ${fmt(Math.max(...engineNs))}] | ` +
      `floor Map.get+copy ${fmt(b)} ns/row | engine/floor ${fmt(x / b, 1)}x${sink > 0 ? "" : " !"}`,
  );
}

bench("12-feature table", twelveFeatures(), 12);
bench("30-feature pack", thirtyFeatures(), 30);
console.log(`node ${process.version}, ${process.arch}; medians of ${ROUNDS} rounds (engine and floor alternated) after one warm-up round`);
