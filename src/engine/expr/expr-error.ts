import type { ErrorCode } from "../../errors/codes.ts";
import { TesseraError } from "../../errors/tessera-error.ts";

/** Every expression error reads `col N: ...` and carries `details.column` (1-based). */
export function exprError(code: ErrorCode, column: number, message: string, details: Record<string, unknown> = {}): TesseraError {
  return new TesseraError(code, `col ${column}: ${message}`, { column, ...details });
}

/** Throws an expression error at a column; each of parse, check and compile binds its own error code. */
export type Fail = (column: number, message: string, details?: Record<string, unknown>) => never;

export function failWith(code: ErrorCode): Fail {
  return (column, message, details) => {
    throw exprError(code, column, message, details);
  };
}
