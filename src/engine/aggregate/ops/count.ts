import { T } from "../../types.ts";
import type { OperatorDef } from "../operator.ts";

/** `count`: the number of matched events. The state is the count itself (a Smi: no allocation). */
export const countOp: OperatorDef<null, number> = {
  op: "count",
  windowSupport: "windowed",
  params: [],
  parse: () => null,
  outputType: () => T.i64,
  fields: () => [],
  create: () => 0,
  update: (s) => s + 1,
  read: (s) => s,
  merge: (into, from) => into + from,
  slots: { accumulator: () => ({ kind: "count" }), read: (a, o) => a[o]! },
};
