import { featureAccs } from "../state/layout.ts";
import type { Inheritance, TableLayout } from "../state/layout.ts";

/**
 * What makes a restored table's layout identical to the original's. A layout is a function of the
 * table's features and of its registration history: a table rebound by an additive registration
 * keeps the accumulator ids (and kinds) of its kept features and gives new ones the generation of
 * that registration (layout.ts). Rebuilding with the final ids and kinds of every feature, at the
 * same generation, reproduces the layout exactly, and the next rebind then numbers new
 * accumulators as the original engine would.
 */
export function inheritanceOf(layout: TableLayout): Inheritance {
  return { generation: layout.generation, accOf: featureAccs(layout) };
}

/**
 * Every offset and width of a layout, as one string. Entity numbers are restored verbatim, so the
 * rebuilt layout must match the original's to the number; a mismatch means the snapshot was written
 * by an engine whose layouts differ (or is inconsistent) and must not be loaded.
 */
export function layoutSignature(layout: TableLayout): string {
  const groups = layout.groups.map((g) => {
    const accs = g.accs.map((a) => `${a.id}=${a.kind}@${a.offset}<${a.input},${a.where}`).join(",");
    const objs = g.objs.map((o) => `${o.feature}:${o.def.op}@${o.inlineOffset}/${o.inline?.width ?? 0}`).join(",");
    return `${g.key}:${g.rowWidth}:${g.row}:${g.header}:${g.objBase}:${g.maxBuckets}[${accs}][${objs}]`;
  });
  return `${layout.ringsBase}/${layout.objCount}/${layout.inputs.length}/${layout.wheres.length}|${groups.join("|")}`;
}
