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

/**
 * Why generated code: the general path walks each window's accumulators through four parallel
 * int arrays and a switch, and calls a function per window; measured with callgrind on the
 * 12-feature table, that bookkeeping cost ~300 instructions per window per event. Here the same
 * arithmetic (statement for statement, so results are bit-identical: accumulators.ts
 * `updateAccs`) is straight-line code with the layout's offsets as constants. Only numbers from
 * the layout are written into the source, each checked to be a finite number first: no name or
 * string from a registration ever reaches it.
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
  src.push(`a[${int(LAST_SEEN)}] = now;`, "var x = 0, n0 = 0, s0 = 0, d = 0, n = 0, s = 0;");
  accumulators(src, L.groups[0]!, LIFETIME_BASE);
  windows.forEach((g, i) => {
    src.push(`if (i${i} !== -1) {`);
    accumulators(src, g, g.row);
    src.push("}");
  });
  src.push("return true;");
  return new Function("a", "xs", "ms", "now", src.join("\n")) as HotPath;
}

/** The condition under which an event touches window g (as TableRuntime.apply decides it). */
function touched(g: GroupLayout): string {
  if (g.always) return "true";
  return Array.from(g.wheres, (w) => `ms[${int(w)}] === 1`).join(" || ") || "false";
}

/** updateAccs of group g on the row at `row`, unrolled. */
function accumulators(src: string[], g: GroupLayout, row: number): void {
  for (let i = 0; i < g.accKind.length; i++) {
    const kind = g.accKind[i]!;
    const o = int(row + g.accOffset[i]!);
    const w = g.accWhere[i]!;
    if (kind === ACC_RATIO) {
      src.push(`a[${o + 1}] += 1;`);
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
          body.push(`a[${o}] += 1; a[${o + 1}] += x;`);
          break;
        case ACC_MOMENTS:
          body.push(`n0 = a[${o}]; s0 = a[${o + 1}]; d = n0 === 0 ? 0 : x - s0 / n0; n = n0 + 1; s = s0 + x;`, `a[${o}] = n; a[${o + 1}] = s; a[${o + 2}] += d * (x - s / n);`);
          break;
        case ACC_MIN:
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
