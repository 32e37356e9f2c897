import type { ErrorCode } from "../../errors/codes.ts";
import { TesseraError } from "../../errors/tessera-error.ts";
import type { ValueType } from "../types.ts";
import { T, isNumericType } from "../types.ts";
import type { ExprNode } from "./ast.ts";
import { castResultType, isCastable } from "./cast.ts";
import type { Fail } from "./expr-error.ts";
import { failWith } from "./expr-error.ts";
import { lookupFunction } from "./functions.ts";
import { typeName } from "./type-names.ts";

const isNull = (t: ValueType): boolean => t.kind === "null";
const numericOrNull = (t: ValueType): boolean => isNull(t) || isNumericType(t);
const boolOrNull = (t: ValueType): boolean => isNull(t) || t.kind === "bool";

/** Numbers compare with numbers and timestamps (epoch ms); str, bool only with themselves; null with anything. */
function comparable(a: ValueType, b: ValueType): boolean {
  if (isNull(a) || isNull(b)) return true;
  const ordered = (t: ValueType): boolean => isNumericType(t) || t.kind === "timestamp";
  if (ordered(a) && ordered(b)) return true;
  return a.kind === b.kind && (a.kind === "str" || a.kind === "bool");
}

/** i64 op i64 → i64, any f64 → f64, `/` → f64; a null literal takes the other side's type. */
function arithmeticType(op: string, a: ValueType, b: ValueType): ValueType {
  if (op === "/") return T.f64;
  if (isNull(a)) return b;
  if (isNull(b)) return a;
  return a.kind === "i64" && b.kind === "i64" ? T.i64 : T.f64;
}

/**
 * Register-time typing against the fields `resolve` knows. Returns the expression's type and records
 * each node's type on the node (compileExpression uses it). Errors carry `details.column`.
 */
export function checkExpression(
  node: ExprNode,
  resolve: (field: string) => ValueType | undefined,
  errorCode: ErrorCode = "invalid_expression",
): ValueType {
  const fail: Fail = failWith(errorCode);

  function visit(n: ExprNode): ValueType {
    const t = infer(n);
    n.type = t;
    return t;
  }

  function infer(n: ExprNode): ValueType {
    switch (n.kind) {
      case "literal":
        return T[n.literalType];
      case "field": {
        const t = resolve(n.name);
        if (t === undefined) fail(n.col, `unknown field '${n.name}'`, { field: n.name });
        return t;
      }
      case "neg": {
        const t = visit(n.operand);
        if (!numericOrNull(t)) fail(n.col, `unary '-' needs a number, got ${typeName(t)}`);
        return t;
      }
      case "not": {
        const t = visit(n.operand);
        if (!boolOrNull(t)) fail(n.col, `'not' needs a bool, got ${typeName(t)}`);
        return T.bool;
      }
      case "logic":
        for (const operand of n.operands) {
          const t = visit(operand);
          if (!boolOrNull(t)) fail(operand.col, `'${n.op}' needs bool operands, got ${typeName(t)}`);
        }
        return T.bool;
      case "arith": {
        const a = visit(n.left);
        const b = visit(n.right);
        if (!numericOrNull(a) || !numericOrNull(b)) {
          fail(n.col, `'${n.op}' needs numbers, got ${typeName(a)} and ${typeName(b)}`);
        }
        return arithmeticType(n.op, a, b);
      }
      case "compare": {
        const a = visit(n.left);
        const b = visit(n.right);
        if (!comparable(a, b)) fail(n.col, `cannot compare ${typeName(a)} with ${typeName(b)}`);
        return T.bool;
      }
      case "call": {
        const def = lookupFunction(n.fn);
        if (def === undefined || n.args.length < def.minArgs || n.args.length > def.maxArgs) {
          // parseExpression never builds such a node; a hand-built one is a programming error.
          throw new TesseraError("internal_error", `malformed call of '${n.fn}'`);
        }
        return def.check(n, n.args.map(visit), fail);
      }
      case "cast": {
        const t = visit(n.operand);
        if (!isCastable(t)) fail(n.col, `cannot cast ${typeName(t)} to ${n.target}`);
        return castResultType(n.target);
      }
    }
  }

  return visit(node);
}
