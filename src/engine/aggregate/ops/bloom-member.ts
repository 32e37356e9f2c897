import type { OperatorDef } from "../operator.ts";
import { T } from "../../types.ts";
import { BLOOM_DEFAULT_CAPACITY, BLOOM_DEFAULT_FPR, bloomAdd, bloomCreate } from "../../sketch/bloom-filter.ts";
import type { BloomFilter } from "../../sketch/bloom-filter.ts";
import { hashValue } from "../../sketch/hash.ts";
import { aliasedParam, fail, presentField, requireField } from "./lifetime-support.ts";

/**
 * bloom_member: had the latest event's value been seen before it? ("known device", DESIGN §4.)
 * Each value is tested and then inserted, so the first sighting of a value reads false and a
 * repeat reads true (false positives at about `fpr` until `capacity` values are in). beava instead
 * answers whether anything was ever inserted, which ignores the value.
 */

/** Largest accepted capacity (about 1.2 MB of bits per entity at fpr 0.01). */
const MAX_CAPACITY = 1 << 20;
/** Largest filter per entity, in bits (2 MB): bounds capacity and fpr together. */
const MAX_BITS = 1 << 24;

interface BloomParams {
  readonly field: string;
  readonly capacity: number;
  readonly fpr: number;
}

interface BloomState {
  /** Allocated at the first value, so entities that never match cost no bits. */
  filter: BloomFilter | null;
  /** Whether the latest value had been seen before it. */
  member: boolean;
}

export const bloomMemberOp: OperatorDef<BloomParams, BloomState> = {
  op: "bloom_member",
  windowSupport: "lifetime",
  params: ["field", "capacity", "expected_n", "fpr", "target_fpr"],
  parse(params, ctx) {
    const { field } = requireField(params, ctx, "bloom_member");
    // beava's own code for a windowed bloom_member (§1.4 item 8), ahead of the generic lifetime check.
    if (params.window !== undefined) {
      fail("window_not_supported", ctx, "bloom_member", "bloom_member is lifetime only; remove `window`");
    }
    const fpr = aliasedParam(params, ctx, "bloom_member", "fpr", "target_fpr") ?? BLOOM_DEFAULT_FPR;
    if (typeof fpr !== "number" || !(fpr > 0 && fpr < 1)) {
      fail("invalid_bloom_fpr", ctx, "bloom_member", `\`fpr\` must be a number in (0, 1) (got ${JSON.stringify(fpr)})`);
    }
    const capacity = aliasedParam(params, ctx, "bloom_member", "capacity", "expected_n") ?? BLOOM_DEFAULT_CAPACITY;
    if (typeof capacity !== "number" || !Number.isInteger(capacity) || capacity < 1 || capacity > MAX_CAPACITY) {
      fail("invalid_registration", ctx, "bloom_member", `\`capacity\` must be an integer in [1, ${MAX_CAPACITY}]`);
    }
    // The sizing rule of bloom-filter.ts: m = ⌈−n·ln p / ln²2⌉ bits.
    if ((-capacity * Math.log(fpr)) / (Math.LN2 * Math.LN2) > MAX_BITS) {
      fail("invalid_registration", ctx, "bloom_member", `capacity ${capacity} at fpr ${fpr} needs more than ${MAX_BITS} bits per entity`);
    }
    return { field, capacity, fpr };
  },
  outputType: () => T.bool,
  fields: (p) => [p.field],
  create: () => ({ filter: null, member: false }),
  update(s, p, row) {
    const v = presentField(row, p.field);
    if (v === undefined) return s;
    s.filter ??= bloomCreate(p.capacity, p.fpr);
    s.member = bloomAdd(s.filter, hashValue(v));
    return s;
  },
  read: (s) => s.member,
};
