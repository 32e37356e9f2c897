import type { ValueType } from "../types.ts";

/**
 * The expression AST. Nodes come from parseExpression and are immutable, except for `type`, which
 * checkExpression records so that compileExpression can choose i64 (saturating) over f64 arithmetic and
 * discard row values that do not match a field's declared type.
 */

export type ArithOp = "+" | "-" | "*" | "/" | "%";
/** `=` and `<>` are parsed to `==` and `!=`. */
export type CompareOp = "==" | "!=" | "<" | "<=" | ">" | ">=";
export type LogicOp = "and" | "or";
export type CastTarget = "str" | "int" | "float" | "bool";
export type LiteralType = "i64" | "f64" | "str" | "bool" | "null";

interface NodeBase {
  /** 1-based column of the node's own token (operator, function name, field, literal): where errors point. */
  readonly col: number;
  /** Set by checkExpression. */
  type?: ValueType;
}

export interface LiteralNode extends NodeBase {
  readonly kind: "literal";
  readonly literalType: LiteralType;
  readonly value: null | number | string | boolean;
}

/** A field reference. `name` may contain one dot (`user_txn.amt_mean_1d_10m` is one field). */
export interface FieldNode extends NodeBase {
  readonly kind: "field";
  readonly name: string;
}

export interface NegNode extends NodeBase {
  readonly kind: "neg";
  readonly operand: ExprNode;
}

export interface NotNode extends NodeBase {
  readonly kind: "not";
  readonly operand: ExprNode;
}

export interface ArithNode extends NodeBase {
  readonly kind: "arith";
  readonly op: ArithOp;
  readonly left: ExprNode;
  readonly right: ExprNode;
}

export interface CompareNode extends NodeBase {
  readonly kind: "compare";
  readonly op: CompareOp;
  readonly left: ExprNode;
  readonly right: ExprNode;
}

/** `and`/`or` chains are flattened (they are associative), so long disjunctions stay shallow. */
export interface LogicNode extends NodeBase {
  readonly kind: "logic";
  readonly op: LogicOp;
  readonly operands: readonly ExprNode[];
}

/** A call of a catalogue function; `fn` is lower-cased. */
export interface CallNode extends NodeBase {
  readonly kind: "call";
  readonly fn: string;
  readonly args: readonly ExprNode[];
}

/** `cast(v, <type>)`: the target is a bare type name, not an expression. */
export interface CastNode extends NodeBase {
  readonly kind: "cast";
  readonly operand: ExprNode;
  readonly target: CastTarget;
}

export type ExprNode = LiteralNode | FieldNode | NegNode | NotNode | ArithNode | CompareNode | LogicNode | CallNode | CastNode;

export function childrenOf(node: ExprNode): readonly ExprNode[] {
  switch (node.kind) {
    case "literal":
    case "field":
      return [];
    case "neg":
    case "not":
    case "cast":
      return [node.operand];
    case "arith":
    case "compare":
      return [node.left, node.right];
    case "logic":
      return node.operands;
    case "call":
      return node.args;
  }
}
