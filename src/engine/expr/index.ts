import type { ErrorCode } from "../../errors/codes.ts";
import type { ValueType } from "../types.ts";
import type { ExprNode } from "./ast.ts";
import type { CompiledExpression } from "./compile.ts";
import { compileExpression } from "./compile.ts";
import { parseExpression } from "./parser.ts";
import { referencedFields } from "./structure.ts";
import { checkExpression } from "./type-check.ts";

export type { ExprNode } from "./ast.ts";
export type { CompiledExpression } from "./compile.ts";
export { parseExpression } from "./parser.ts";
export { checkExpression } from "./type-check.ts";
export { compileExpression } from "./compile.ts";
export { referencedFields, expressionsEqual } from "./structure.ts";

/** Convenience: parse + check + compile. */
export function compileChecked(
  source: string,
  resolve: (field: string) => ValueType | undefined,
  errorCode: ErrorCode = "invalid_expression",
): { node: ExprNode; type: ValueType; evaluate: CompiledExpression; fields: string[] } {
  const node = parseExpression(source, errorCode);
  const type = checkExpression(node, resolve, errorCode);
  return { node, type, evaluate: compileExpression(node), fields: referencedFields(node) };
}
