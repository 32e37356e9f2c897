import type { ErrorCode } from "./codes.ts";

/**
 * The one error type of Tessera. Domain and service code throw it; transports translate it through
 * the table in codes.ts. `details` holds extra wire fields of the beava error body (`path`, `reason`,
 * `diff`, `limit`, ...), merged next to `code` inside `{"error":{...}}`.
 */
export class TesseraError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message?: string, details: Record<string, unknown> = {}) {
    super(message ?? code);
    this.name = "TesseraError";
    this.code = code;
    this.details = details;
  }

  /** True when a message was given explicitly (the wire then carries `message`). */
  get hasMessage(): boolean {
    return this.message !== this.code;
  }
}

export function isTesseraError(e: unknown): e is TesseraError {
  return e instanceof TesseraError;
}
