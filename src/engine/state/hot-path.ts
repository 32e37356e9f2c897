import { ACC_COUNT, ACC_MAX, ACC_MIN, ACC_MOMENTS, ACC_RATIO, ACC_SUM } from "./accumulators.ts";
import type { GroupLayout, TableLayout } from "./layout.ts";
import { LAST_SEEN, LIFETIME_BASE } from "./layout.ts";

/**
 * The usual event of a table, compiled for its layout: every window it touches lands in the
 * entity's newest bucket (no ring work), and only the accumulators change. Returns false, having
 * changed nothing, when some window's bucket changes: the runtime's general path then applies it.
 *
 * `a` is the entity's numbers, `xs` the event's inputs (NaN = absent), `ms` its `where` outcomes.
 */
export type HotPath = (a: number[], xs: Float64Array, ms: Uint8Array, now: number) => boolean;

/** Group gi's accumulator updates on the row at a[r..] (the general path, any bucket). */
export type GroupUpdate = (gi: number, a: number[], r: number, xs: Float64Array, ms: Uint8Array) => void;

/**
 * Why generated code: walking each window's accumulators through four parallel int arrays and a
 * switch, with a call per window, cost ~300 instructions per window per event (callgrind,
 * 12-feature table). Here the accumulator arithmetic is straight-line code with the layout's
 * offsets as constants; it is the only implementation of it (the general path runs the same
 * statements per group, compileGroupUpdate). Only numbers from the layout are written into the
 * source, each checked first: no name or string from a registration ever reaches it.
 */
export function compileHotPath(L: TableLayout): HotPath {
  const src: string[] = [];
  const windows = L.groups.slice(1);
  // 1. Every touched window's bucket is its hot row, or nothing happens here.
  windows.forEach((g, i) => {
    src.push(`var i${i} = -1;`);
    src.push(`if (${touched(g)}) { i${i} = Math.floor(now / ${num(g.width)}); if (a[${int(g.row)}] !== i${i}) return false; }`);
  });
  // 2. The update.
  src.push(`a[${int(LAST_SEEN)}] = now;`, SCRATCH);
  accumulators(src, L.groups[0]!, at(LIFETIME_BASE));
  windows.forEach((g, i) => {
    src.push(`if (i${i} !== -1) {`);
    accumulators(src, g, at(g.row));
    src.push("}");
  });
  src.push("return true;");
  return new Function("a", "xs", "ms", "now", src.join("\n")) as HotPath;
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
