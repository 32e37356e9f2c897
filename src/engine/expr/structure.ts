import type { ExprNode } from "./ast.ts";
import { childrenOf } from "./ast.ts";

/** Distinct field names in first-seen (source) order. */
export function referencedFields(node: ExprNode): string[] {
  const seen = new Set<string>();
  const visit = (n: ExprNode): void => {
    if (n.kind === "field") seen.add(n.name);
    else for (const child of childrenOf(n)) visit(child);
  };
  visit(node);
  return [...seen];
}

/**
 * Structural equality for registry diffs. Positions and recorded types are ignored, and so are
 * whitespace, redundant parentheses, keyword/function-name case and operator spelling (`=` vs `==`),
 * since none of them reach the AST. `1` and `1.0` differ: they have different types.
 */
export function expressionsEqual(a: ExprNode, b: ExprNode): boolean {
  switch (a.kind) {
    case "literal":
      return b.kind === "literal" && a.literalType === b.literalType && Object.is(a.value, b.value);
    case "field":
      return b.kind === "field" && a.name === b.name;
    case "neg":
    case "not":
      return b.kind === a.kind && expressionsEqual(a.operand, b.operand);
    case "cast":
      return b.kind === "cast" && a.target === b.target && expressionsEqual(a.operand, b.operand);
    case "arith":
    case "compare":
      return b.kind === a.kind && a.op === b.op && expressionsEqual(a.left, b.left) && expressionsEqual(a.right, b.right);
    case "logic":
      return b.kind === "logic" && a.op === b.op && allEqual(a.operands, b.operands);
    case "call":
      return b.kind === "call" && a.fn === b.fn && allEqual(a.args, b.args);
  }
}

function allEqual(a: readonly ExprNode[], b: readonly ExprNode[]): boolean {
  return a.length === b.length && a.every((n, i) => expressionsEqual(n, b[i]));
}
