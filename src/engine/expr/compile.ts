import { TesseraError } from "../../errors/tessera-error.ts";
import type { Row, Value, ValueType } from "../types.ts";
import type { ArithOp, CompareOp, ExprNode } from "./ast.ts";
import { compileCast } from "./cast.ts";
import { lookupFunction } from "./functions.ts";
import { saturateI64 } from "./numeric.ts";

export type CompiledExpression = (row: Row) => Value;

/**
 * Compiles to nested closures: one per node, specialised by operator at compile time, so evaluation
 * does no AST dispatch. Evaluation never throws; values of an unexpected runtime type give null.
 * The node should have been through checkExpression: its recorded types select i64 arithmetic and
 * field type guards (an unchecked node evaluates with f64 overflow rules and unguarded fields).
 */
export function compileExpression(node: ExprNode): CompiledExpression {
  switch (node.kind) {
    case "literal": {
      const value = node.value;
      return () => value;
    }
    case "field":
      return compileField(node.name, node.type);
    case "neg":
      return compileNeg(compileExpression(node.operand), node.type?.kind === "i64");
    case "not": {
      const operand = compileExpression(node.operand);
      return (row: Row) => {
        const v = operand(row);
        return v === true ? false : v === false ? true : null;
      };
    }
    case "logic": {
      const operands = node.operands.map(compileExpression);
      return node.op === "and" ? compileAnd(operands) : compileOr(operands);
    }
    case "arith":
      return compileArith(node.op, compileExpression(node.left), compileExpression(node.right), node.type?.kind === "i64");
    case "compare":
      return compileCompare(node.op, compileExpression(node.left), compileExpression(node.right));
    case "call": {
      const def = lookupFunction(node.fn);
      if (def === undefined) throw new TesseraError("internal_error", `unknown function '${node.fn}'`);
      return def.compile(node.args.map(compileExpression));
    }
    case "cast":
      return compileCast(node.target, compileExpression(node.operand));
  }
}

/**
 * Absent → null. A value that contradicts the field's declared scalar type (a string in an i64 field)
 * reads as null, so results always match the checked type.
 */
function compileField(name: string, type: ValueType | undefined): CompiledExpression {
  let read: CompiledExpression;
  switch (type?.kind) {
    case "i64":
    case "f64":
    case "timestamp":
      read = (row) => {
        const v = row[name];
        return typeof v === "number" ? v : null;
      };
      break;
    case "str":
      read = (row) => {
        const v = row[name];
        return typeof v === "string" ? v : null;
      };
      break;
    case "bool":
      read = (row) => {
        const v = row[name];
        return typeof v === "boolean" ? v : null;
      };
      break;
    default:
      read = (row) => {
        const v = row[name];
        return v === undefined ? null : v;
      };
  }
  // A row is a plain object: `constructor` or `toString` would otherwise read an inherited function.
  return name in Object.prototype ? (row) => (Object.hasOwn(row, name) ? read(row) : null) : read;
}

function compileNeg(operand: CompiledExpression, i64: boolean): CompiledExpression {
  return i64
    ? (row) => {
        const v = operand(row);
        return typeof v === "number" ? saturateI64(-v) : null;
      }
    : (row) => {
        const v = operand(row);
        return typeof v === "number" ? -v : null;
      };
}

/** Three-valued: false wins over null; non-bool operands count as null. */
function compileAnd(operands: readonly CompiledExpression[]): CompiledExpression {
  if (operands.length === 2) {
    const [a, b] = operands;
    return (row) => {
      const x = a(row);
      if (x === false) return false;
      const y = b(row);
      if (y === false) return false;
      return x === true && y === true ? true : null;
    };
  }
  return (row) => {
    let unknown = false;
    for (const f of operands) {
      const v = f(row);
      if (v === false) return false;
      if (v !== true) unknown = true;
    }
    return unknown ? null : true;
  };
}

/** Three-valued: true wins over null; non-bool operands count as null. */
function compileOr(operands: readonly CompiledExpression[]): CompiledExpression {
  if (operands.length === 2) {
    const [a, b] = operands;
    return (row) => {
      const x = a(row);
      if (x === true) return true;
      const y = b(row);
      if (y === true) return true;
      return x === false && y === false ? false : null;
    };
  }
  return (row) => {
    let unknown = false;
    for (const f of operands) {
      const v = f(row);
      if (v === true) return true;
      if (v !== false) unknown = true;
    }
    return unknown ? null : false;
  };
}

/** `i64`: both operands are i64, so + - * % truncate and saturate. `/` is always f64; x/0 and x%0 are null. */
function compileArith(op: ArithOp, l: CompiledExpression, r: CompiledExpression, i64: boolean): CompiledExpression {
  switch (op) {
    case "+":
      return i64
        ? (row) => {
            const a = l(row);
            if (typeof a !== "number") return null;
            const b = r(row);
            return typeof b === "number" ? saturateI64(a + b) : null;
          }
        : (row) => {
            const a = l(row);
            if (typeof a !== "number") return null;
            const b = r(row);
            return typeof b === "number" ? a + b : null;
          };
    case "-":
      return i64
        ? (row) => {
            const a = l(row);
            if (typeof a !== "number") return null;
            const b = r(row);
            return typeof b === "number" ? saturateI64(a - b) : null;
          }
        : (row) => {
            const a = l(row);
            if (typeof a !== "number") return null;
            const b = r(row);
            return typeof b === "number" ? a - b : null;
          };
    case "*":
      return i64
        ? (row) => {
            const a = l(row);
            if (typeof a !== "number") return null;
            const b = r(row);
            return typeof b === "number" ? saturateI64(a * b) : null;
          }
        : (row) => {
            const a = l(row);
            if (typeof a !== "number") return null;
            const b = r(row);
            return typeof b === "number" ? a * b : null;
          };
    case "/":
      return (row) => {
        const a = l(row);
        if (typeof a !== "number") return null;
        const b = r(row);
        return typeof b === "number" && b !== 0 ? a / b : null;
      };
    case "%":
      return i64
        ? (row) => {
            const a = l(row);
            if (typeof a !== "number") return null;
            const b = r(row);
            return typeof b === "number" && b !== 0 ? saturateI64(a % b) : null;
          }
        : (row) => {
            const a = l(row);
            if (typeof a !== "number") return null;
            const b = r(row);
            return typeof b === "number" && b !== 0 ? a % b : null;
          };
  }
}

/**
 * Non-numeric comparison: the sign of a vs b for str/str and bool/bool, null for anything else
 * (null operands, cross-type, lists, maps). Numbers are handled inline by the callers.
 */
function order(a: Value, b: Value): number | null {
  if (typeof a === "string") return typeof b === "string" ? (a < b ? -1 : a > b ? 1 : 0) : null;
  if (typeof a === "boolean") return typeof b === "boolean" ? Number(a) - Number(b) : null;
  return null;
}

/** Numbers (i64, f64, timestamps) compare numerically; any comparison involving NaN is false, `!=` included. */
function compileCompare(op: CompareOp, l: CompiledExpression, r: CompiledExpression): CompiledExpression {
  switch (op) {
    case "==":
      return (row) => {
        const a = l(row);
        const b = r(row);
        if (typeof a === "number" && typeof b === "number") return a === b;
        const c = order(a, b);
        return c === null ? null : c === 0;
      };
    case "!=":
      return (row) => {
        const a = l(row);
        const b = r(row);
        if (typeof a === "number" && typeof b === "number") return a < b || a > b;
        const c = order(a, b);
        return c === null ? null : c !== 0;
      };
    case "<":
      return (row) => {
        const a = l(row);
        const b = r(row);
        if (typeof a === "number" && typeof b === "number") return a < b;
        const c = order(a, b);
        return c === null ? null : c < 0;
      };
    case "<=":
      return (row) => {
        const a = l(row);
        const b = r(row);
        if (typeof a === "number" && typeof b === "number") return a <= b;
        const c = order(a, b);
        return c === null ? null : c <= 0;
      };
    case ">":
      return (row) => {
        const a = l(row);
        const b = r(row);
        if (typeof a === "number" && typeof b === "number") return a > b;
        const c = order(a, b);
        return c === null ? null : c > 0;
      };
    case ">=":
      return (row) => {
        const a = l(row);
        const b = r(row);
        if (typeof a === "number" && typeof b === "number") return a >= b;
        const c = order(a, b);
        return c === null ? null : c >= 0;
      };
  }
}
