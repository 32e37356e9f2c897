/**
 * One round of each engine micro-benchmark and of its in-run baseline ("floor"), shared by the
 * printing scripts (apply.ts, read.ts) and the suite's child (bench/suite/engine-child.ts), so both
 * measure exactly the same thing.
 *
 * Every round starts with a full GC when the process runs with --expose-gc: a round then does not
 * pay for collecting the previous round's engine (100k entities of garbage), which otherwise lands
 * at a random point of a later round and moved single rounds by up to ±40 %.
 */
import type { Engine } from "../../src/engine/index.ts";
import { rng } from "../lib/random.ts";
import { engineWith, EVENT, table } from "./workloads.ts";
import type { Stream } from "./workloads.ts";

/** A table of a workload as the floor sees it: its key column and feature count. */
export interface FloorTable {
  readonly key: string;
  readonly features: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

/** Collects garbage left by earlier rounds (when the process exposes gc). */
export function settle(): void {
  gc?.();
}

/** The floor tables of a registration (the group_by tables of `nodes`). */
export function floorTables(nodes: readonly unknown[]): FloorTable[] {
  return nodes
    .filter((n) => (n as { kind: string }).kind === "derivation")
    .map((n) => {
      const gb = (n as { ops: { keys: string[]; agg: object }[] }).ops[0]!;
      return { key: gb.keys[0]!, features: Object.keys(gb.agg).length };
    });
}

/**
 * Where an apply round starts. "fresh": an empty engine, so each key's first event creates its
 * entity. "loaded": an engine (and floor map) that already took the whole stream, which the round
 * then replays one stream span later: no entity is new and rings have grown to the stream's rate
 * (the 1d windows still fill), as for the known keys of a server that has been running a while.
 */
export type Start = "fresh" | "loaded";

/**
 * The apply floor, ns per event: per table one lookup of the event's key in a
 * Map<string, Float64Array> (created on a miss) and +1 on as many numbers as the table has features.
 */
export function applyFloorRound(s: Stream, tables: readonly FloorTable[], start: Start = "fresh"): number {
  settle();
  const maps = tables.map(() => new Map<string, Float64Array>());
  if (start === "loaded") {
    for (const row of s.rows) tables.forEach((tb, j) => maps[j]!.set(row[tb.key] as string, new Float64Array(tb.features)));
    settle();
  }
  const t = process.hrtime.bigint();
  for (let i = 0; i < s.rows.length; i++) {
    const row = s.rows[i]!;
    for (let j = 0; j < tables.length; j++) {
      const k = row[tables[j]!.key] as string;
      const m = maps[j]!;
      let a = m.get(k);
      if (a === undefined) m.set(k, (a = new Float64Array(tables[j]!.features)));
      for (let f = 0; f < a.length; f++) a[f]! += 1;
    }
  }
  return Number(process.hrtime.bigint() - t) / s.rows.length;
}

/**
 * One engine round, ns per event: an engine as `start` says, the stream's pushes prepared
 * (preparePush, timed apart), then applyPush over all of them (the engine's state update: what the
 * apply target is about).
 */
export function applyRound(nodes: unknown[], s: Stream, start: Start = "fresh"): { apply: number; prepare: number } {
  settle();
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
  let shift = 0;
  if (start === "loaded") {
    for (let i = 0; i < n; i++) e.applyPush(commands[i], i, s.times[i]!);
    // The whole span plus one event gap: the replay continues where the stream ended.
    shift = s.times[n - 1]! - s.times[0]! + (s.times[1]! - s.times[0]!);
    settle();
  }
  t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) e.applyPush(commands[i], i, s.times[i]! + shift);
  const apply = Number(process.hrtime.bigint() - t) / n;
  return { apply, prepare };
}

/** A table loaded with a stream, and the keys the read rounds read (drawn from the stream: as skewed). */
export interface ReadSetup {
  readonly engine: Engine;
  readonly keys: readonly string[];
  readonly now: number;
  /** The table's feature count. */
  readonly features: number;
  /** The floor's rows: as many numbers per key as the table has features. */
  readonly floor: Map<string, number[]>;
}

export function readSetup(agg: Record<string, unknown>, s: Stream, reads: number): ReadSetup {
  const features = Object.keys(agg).length;
  const engine = engineWith([EVENT, table("t", "user", JSON.parse(JSON.stringify(agg)))]);
  for (let i = 0; i < s.rows.length; i++) {
    const p = engine.preparePush("prod", "txn", s.rows[i], s.times[i]!);
    if (p.kind === "apply") engine.applyPush(p.command, i, s.times[i]!);
  }
  const r = rng(7);
  const keys = Array.from({ length: reads }, () => s.keys[Math.floor(r.next() * s.keys.length)]!);
  const floor = new Map<string, number[]>(s.keys.map((k) => [k, Array.from({ length: features }, (_v, i) => i + 0.5)]));
  return { engine, keys, now: s.times[s.times.length - 1]! + 1, features, floor };
}

let sink = 0;

/** One read round, ns per row: every feature of each key at `now`; and the floor, Map.get + copy of the row. */
export function readRound(x: ReadSetup): { engine: number; floor: number } {
  settle();
  let t = process.hrtime.bigint();
  for (const k of x.keys) sink += x.engine.read("prod", "t", k, undefined, x.now)!.values.length;
  const engine = Number(process.hrtime.bigint() - t) / x.keys.length;
  t = process.hrtime.bigint();
  for (const k of x.keys) sink += x.floor.get(k)!.slice().length;
  const floor = Number(process.hrtime.bigint() - t) / x.keys.length;
  if (sink < 0) throw new Error("unreachable: keeps the reads from being optimised away");
  return { engine, floor };
}
