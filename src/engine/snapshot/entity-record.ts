import { newDoubles } from "../state/entity.ts";
import { LIFETIME_BASE, RING_CAP, RING_HEAD, RING_LEN } from "../state/layout.ts";
import type { TableLayout } from "../state/layout.ts";
import type { ChunkReader } from "./chunk-reader.ts";
import type { ChunkWriter } from "./chunk-writer.ts";
import { snapshotError } from "../../errors/snapshot-fields.ts";
import { readValue, writeValue } from "./value-codec.ts";

/**
 * One entity: [key][number count][numbers as raw f64][0 | 1 objs]. The numbers are the entity's
 * array as the runtime holds it (layout.ts: lifetime row, hot rows, ring headers, rings), so writing
 * is two memcpys and restoring rebuilds nothing; its object states (sketches, buffers, …) follow
 * through the value codec.
 */
export function writeEntity(w: ChunkWriter, key: string, nums: readonly number[], objs: readonly unknown[] | null): void {
  w.string(key);
  w.varuint(nums.length);
  w.doubles(nums);
  if (objs === null) {
    w.u8(0);
  } else {
    w.u8(1);
    writeValue(w, objs);
  }
}

export interface EntityRead {
  readonly key: string;
  readonly nums: number[];
  readonly objs: unknown[] | null;
}

/** Reads one entity and checks it fits `layout` (ring headers and sizes, object states' shape). */
export function readEntity(r: ChunkReader, layout: TableLayout): EntityRead {
  const key = r.string();
  const n = r.count(8);
  const nums = newDoubles(n);
  r.doubles(nums, n);
  const flag = r.u8();
  if (flag > 1) throw snapshotError(`entity ${JSON.stringify(key)}: bad object-state flag`);
  const objs = flag === 1 ? readValue(r) : null;
  const bad = misfit(layout, nums, objs);
  if (bad !== undefined) throw snapshotError(`entity ${JSON.stringify(key)} does not fit its table's layout: ${bad}`);
  return { key, nums, objs: objs as unknown[] | null };
}

function misfit(layout: TableLayout, nums: readonly number[], objs: unknown): string | undefined {
  if (nums.length < LIFETIME_BASE || nums.length < layout.ringsBase) return `${nums.length} numbers, the layout needs at least ${layout.ringsBase}`;
  let size = layout.ringsBase;
  for (let gi = 1; gi < layout.groups.length; gi++) {
    const g = layout.groups[gi]!;
    const cap = nums[g.header + RING_CAP]!;
    const head = nums[g.header + RING_HEAD]!;
    const len = nums[g.header + RING_LEN]!;
    if (!(Number.isInteger(cap) && cap >= 0 && cap < g.maxBuckets)) return `ring ${gi} capacity ${cap}`;
    if (!(Number.isInteger(len) && len >= 0 && len <= cap)) return `ring ${gi} length ${len} (capacity ${cap})`;
    if (!(Number.isInteger(head) && head >= 0 && (head < cap || head === 0))) return `ring ${gi} head ${head} (capacity ${cap})`;
    size += cap * g.rowWidth;
  }
  if (size !== nums.length) return `${nums.length} numbers, its ring headers describe ${size}`;
  if (objs === null) return undefined;
  if (layout.objCount === 0) return "object states in a table that has none";
  if (!Array.isArray(objs) || objs.length !== layout.objCount) return `object states are not an array of ${layout.objCount}`;
  for (let gi = 1; gi < layout.groups.length; gi++) {
    const g = layout.groups[gi]!;
    if (g.objBase < 0) continue;
    const side: unknown = objs[g.objBase + g.objs.length];
    if (side !== undefined && !Array.isArray(side)) return `ring ${gi} object states are not an array`;
  }
  return undefined;
}
