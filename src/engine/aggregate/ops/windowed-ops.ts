import type { OperatorDef } from "../operator.ts";
import { countOp } from "./count.ts";
import { approxCountDistinctOp, nUniqueOp } from "./distinct.ts";
import { entropyOp } from "./entropy.ts";
import { meanOp } from "./mean.ts";
import { maxOp, minOp } from "./min-max.ts";
import { approxPercentileOp, quantileOpDef } from "./quantile.ts";
import { ratioOp } from "./ratio.ts";
import { sumOp } from "./sum.ts";
import { topKOp } from "./top-k.ts";
import { stdOp, stdPopOp, varOp, varPopOp } from "./variance.ts";

/** The windowable core operators (beava §2.3 "W" plus Tecton's var_pop, std_pop, approx_*). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const WINDOWED_OPERATORS: readonly OperatorDef<any, any>[] = [
  countOp,
  sumOp,
  meanOp,
  minOp,
  maxOp,
  varOp,
  stdOp,
  varPopOp,
  stdPopOp,
  ratioOp,
  nUniqueOp,
  approxCountDistinctOp,
  quantileOpDef,
  approxPercentileOp,
  topKOp,
  entropyOp,
];
