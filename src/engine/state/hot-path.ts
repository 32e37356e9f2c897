import { ACC_COUNT, ACC_MAX, ACC_MIN, ACC_MOMENTS, ACC_RATIO, ACC_SUM } from "./accumulators.ts";
import { clearHotObjs, clearSide, growRings, minLiveOf, moveHotObjs, nextCap } from "./bucket-ring.ts";
import type { Entity } from "./entity.ts";
import type { GroupLayout, TableLayout } from "./layout.ts";
import { LAST_SEEN, LIFETIME_BASE, RING_CAP, RING_HEAD, RING_LEN, RING_OLDEST } from "./layout.ts";

/**
 * The usual event of a table, compiled for its layout: each window it touches either lands in the
 * entity's newest bucket or starts a newer one, the hot row (and its object states) moving into
 * the ring (rows no read can include any more dropped, the ring grown first when it is full: one
 * reallocation for every ring the event needs to grow, bucket-ring.ts growRings). Returns false,
 * having changed nothing, for a bucket older than the newest (a clock that stepped back): the
 * runtime's general path (table-runtime.ts, bucket-ring.ts) then applies the event.
 *
 * `e` is the entity (its `nums` replaced when a ring grows), `xs` the event's inputs (NaN =
 * absent), `ms` its `where` outcomes.
 */
export type HotPath = (e: Entity, xs: Float64Array, ms: Uint8Array, now: number) => boolean;

/** Group gi's accumulator updates on the row at a[r..] (the general path, any bucket). */
export type GroupUpdate = (gi: number, a: number[], r: number, xs: Float64Array, ms: Uint8Array) => void;

/**
 * Why generated code: walking each window's accumulators through four parallel int arrays and a
 * switch, with a call per window, cost ~300 instructions per window per event (callgrind,
 * 12-feature table), and a bucket change through the general ring code ~1000 more (~4000 for an
 * event that grows a ring). Here the accumulator arithmetic and the ring move are straight-line
 * code with the layout's offsets as constants; the arithmetic is the only implementation of it
 * (the general path runs the same statements per group, compileGroupUpdate), the ring move mirrors
 * bucket-ring.ts's `rotate`, `dropExpired` and `needsRoom` (and calls its `minLiveOf`, `nextCap`
 * and `growRings`) and is held to them by the property tests. Only numbers from the layout are
 * written into the source, each checked first: no name or string from a registration reaches it.
 */
export function compileHotPath(L: TableLayout): HotPath {
  const src: string[] = ["var a = e.nums, b = 0, grow = false;"];
  const windows = L.groups.slice(1);
  // 1. Decide, changing nothing (not even the scratch `caps`: a later window may still refuse):
  // each touched window's bucket (i<k>; NaN: not touched, as in the general path, where a NaN
  // index also skips the window), whether it starts one (r<k>) and the capacity its ring must
  // grow to first (c<k>, 0: none).
  windows.forEach((g, k) => {
    src.push(`var i${k} = NaN, m${k} = 0, r${k} = false, c${k} = 0;`);
    const h = g.header;
    const CAP = int(h + RING_CAP);
    src.push(
      `if (${touched(g)}) {`,
      `i${k} = Math.floor(now / ${num(g.width)}); b = a[${int(g.row)}];`,
      `if (b !== i${k}) {`,
      // An older bucket than the newest (b NaN: the window's first event, nothing to retire).
      `if (i${k} < b) return false;`,
      `m${k} = minLiveOf(G[${int(k + 1)}], now, i${k});`,
      // The retired row stays readable and the ring is full with nothing expiring: it grows.
      `if (b >= m${k} && a[${int(h + RING_LEN)}] === a[${CAP}] && !(a[${int(h + RING_OLDEST)}] < m${k})) {`,
      // Cannot happen with the layout's bucket widths (a ring at its maximum always has a row
      // expiring when a newer bucket starts); left to the general path, which drops the oldest,
      // so that no layout change can make this code write past a full ring.
      `if (a[${CAP}] >= ${int(g.maxBuckets - 1)}) return false;`,
      `c${k} = nextCap(G[${int(k + 1)}], a[${CAP}]); grow = true;`,
      "}",
      `r${k} = true;`,
      "}",
      "}",
    );
  });
  // 2. The update: rings grown in one reallocation (every entry of `caps` written first), then
  // rows moved and accumulators updated; object states follow their rows (TableRuntime.hotObjs
  // then updates the hot rows').
  if (windows.length > 0) src.push("if (grow) {", ...windows.map((_g, k) => `caps[${int(k + 1)}] = c${k};`), "growRings(e, L, caps); a = e.nums;", "}");
  src.push(`a[${int(LAST_SEEN)}] = now;`, SCRATCH, RING_SCRATCH);
  accumulators(src, L.groups[0]!, at(LIFETIME_BASE));
  windows.forEach((g, k) => {
    src.push(`if (i${k} === i${k}) {`, `if (r${k}) {`);
    rotate(src, L, k + 1, `i${k}`, `m${k}`);
    src.push("}");
    accumulators(src, g, at(g.row));
    src.push("}");
  });
  src.push("return true;");
  const helpers = { growRings, nextCap, minLiveOf, clearSide, moveHotObjs, clearHotObjs };
  const factory = new Function(...Object.keys(helpers), "L", "G", "caps", `return function hotPath(e, xs, ms, now) {\n${src.join("\n")}\n};`);
  return factory(...Object.values(helpers), L, L.groups, new Float64Array(L.groups.length)) as HotPath;
}

const RING_SCRATCH = "var hot = 0, len = 0, cap = 0, head = 0, start = 0, oldest = 0, p = 0, q = 0;";

/** Where group gi's ring starts in `a` (bucket-ring.ts ringStart: the rings before it, at their capacities). */
function ringStart(L: TableLayout, gi: number): string {
  const terms = [String(int(L.ringsBase))];
  for (let i = 1; i < gi; i++) terms.push(`a[${int(L.groups[i]!.header + RING_CAP)}] * ${int(L.groups[i]!.rowWidth)}`);
  return terms.join(" + ");
}

/**
 * Group gi starts bucket `idx` (newer than its hot row; phase 1 made sure the ring has room once
 * rows below `min` are dropped, growing it when needed): bucket-ring.ts's dropExpired, then
 * rotate, object states included (through bucket-ring.ts's helpers, for groups that have them).
 */
function rotate(src: string[], L: TableLayout, gi: number, idx: string, min: string): void {
  const g = L.groups[gi]!;
  const h = g.header;
  const w = g.rowWidth;
  const objs = g.objBase >= 0;
  const [CAP, HEAD, LEN, OLDEST] = [h + RING_CAP, h + RING_HEAD, h + RING_LEN, h + RING_OLDEST].map(int);
  src.push(
    `hot = a[${int(g.row)}];`,
    "if (hot === hot) {",
    `if (a[${OLDEST}] < ${min}) {`,
    `cap = a[${CAP}]; head = a[${HEAD}]; len = a[${LEN}]; start = ${ringStart(L, gi)}; oldest = a[${OLDEST}];`,
    `while (len > 0 && oldest < ${min}) { ${objs ? `clearSide(e, G[${int(gi)}], head); ` : ""}head = head + 1 === cap ? 0 : head + 1; len--; oldest = len > 0 ? a[start + head * ${int(w)}] : NaN; }`,
    `a[${HEAD}] = len === 0 ? 0 : head; a[${LEN}] = len; a[${OLDEST}] = oldest;`,
    "}",
    `if (hot >= ${min}) {`,
    `len = a[${LEN}]; cap = a[${CAP}]; p = a[${HEAD}] + len; if (p >= cap) p -= cap;`,
    `a[${LEN}] = len + 1; if (len === 0) a[${OLDEST}] = hot;`,
    `q = ${ringStart(L, gi)} + p * ${int(w)};`,
  );
  for (let k = 0; k < w; k++) src.push(`a[q + ${int(k)}] = a[${int(g.row + k)}];`);
  if (objs) src.push(`moveHotObjs(e, G[${int(gi)}], p);`);
  src.push(objs ? `} else { clearHotObjs(e, G[${int(gi)}]); }` : "}", "}");
  g.empty.forEach((x, k) => src.push(`a[${int(g.row + k)}] = ${literal(x)};`));
  src.push(`a[${int(g.row)}] = ${idx};`);
}

/**
 * Each group's accumulator updates on a row given at run time (`r`), as one function switching on
 * the group (one call site, one optimised function, rather than a function per group).
 */
export function compileGroupUpdate(L: TableLayout): GroupUpdate {
  const src = [SCRATCH, "switch (gi) {"];
  L.groups.forEach((g, gi) => {
    src.push(`case ${int(gi)}:`);
    accumulators(src, g, (k) => (k === 0 ? "r" : `r + ${int(k)}`));
    src.push("return;");
  });
  src.push("}");
  return new Function("gi", "a", "r", "xs", "ms", src.join("\n")) as GroupUpdate;
}

const SCRATCH = "var x = 0, n0 = 0, s0 = 0, d = 0, n = 0, s = 0;";

/** Indices of a row at a constant offset. */
function at(row: number): (k: number) => string {
  return (k) => String(int(row + k));
}

/** The condition under which an event touches window g (as TableRuntime.apply decides it). */
function touched(g: GroupLayout): string {
  if (g.always) return "true";
  return Array.from(g.wheres, (w) => `ms[${int(w)}] === 1`).join(" || ") || "false";
}

/**
 * How one event updates group g's accumulators (aggregate/slots.ts kinds, accumulators.ts layout),
 * on the row whose number k is a[at(k)]: `xs` holds the event's inputs (NaN = absent), `ms` its
 * `where` outcomes (1 = matched); an accumulator with a `where` only sees matched events, except
 * ratio, which counts every event and the matched ones.
 */
function accumulators(src: string[], g: GroupLayout, at: (k: number) => string): void {
  for (let i = 0; i < g.accKind.length; i++) {
    const kind = g.accKind[i]!;
    const off = g.accOffset[i]!;
    const o = at(off);
    const o1 = at(off + 1);
    const w = g.accWhere[i]!;
    if (kind === ACC_RATIO) {
      src.push(`a[${o1}] += 1;`);
      src.push(w < 0 ? `a[${o}] += 1;` : `if (ms[${int(w)}] === 1) a[${o}] += 1;`);
      continue;
    }
    const body: string[] = [];
    if (kind === ACC_COUNT) {
      body.push(`a[${o}] += 1;`);
    } else {
      body.push(`x = xs[${int(g.accInput[i]!)}];`, "if (x === x) {");
      switch (kind) {
        case ACC_SUM:
          body.push(`a[${o}] += 1; a[${o1}] += x;`);
          break;
        case ACC_MOMENTS:
          // Welford's update, with the mean kept as Σx / n.
          body.push(`n0 = a[${o}]; s0 = a[${o1}]; d = n0 === 0 ? 0 : x - s0 / n0; n = n0 + 1; s = s0 + x;`, `a[${o}] = n; a[${o1}] = s; a[${at(off + 2)}] += d * (x - s / n);`);
          break;
        case ACC_MIN:
          // Also replaces the empty NaN (`x >= NaN` is false).
          body.push(`if (!(x >= a[${o}])) a[${o}] = x;`);
          break;
        case ACC_MAX:
          body.push(`if (!(x <= a[${o}])) a[${o}] = x;`);
          break;
        default:
          throw new Error(`hot path: unknown accumulator kind ${kind}`);
      }
      body.push("}");
    }
    src.push(w < 0 ? body.join(" ") : `if (ms[${int(w)}] === 1) { ${body.join(" ")} }`);
  }
}

function int(n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`hot path: bad offset ${n}`);
  return n;
}

/** A finite number as a literal that reads back as the same double (String gives the shortest round trip). */
function num(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`hot path: bad number ${n}`);
  return String(n);
}

/** A row's empty value as a literal: NaN, −0 (String would lose its sign) or a finite number. */
function literal(n: number): string {
  if (n !== n) return "NaN";
  return Object.is(n, -0) ? "-0" : num(n);
}
