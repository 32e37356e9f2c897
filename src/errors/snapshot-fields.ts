import { TesseraError } from "./tessera-error.ts";

/**
 * Checked reads of state decoded from a snapshot (auth-state-codec.ts, secret-store-codec.ts, the
 * engine's snapshot/). The
 * bytes passed their checksums, so a wrong shape means a bug or a foreign writer, not a disk error;
 * it is TesseraError internal_error "snapshot: ...", on which recovery falls back to an older
 * snapshot instead of starting with state that would fail later, far from the cause.
 */

export function snapshotError(message: string): TesseraError {
  return new TesseraError("internal_error", `snapshot: ${message}`);
}

/** Whether `err` is one of snapshotError's (a restore rethrows those as they are). */
export function isSnapshotError(err: unknown): err is TesseraError {
  return err instanceof TesseraError && err.code === "internal_error" && err.message.startsWith("snapshot: ");
}

export function object(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v) || v instanceof Uint8Array) throw snapshotError(`${what} is not an object`);
  return v as Record<string, unknown>;
}

export function array(v: unknown, what: string): readonly unknown[] {
  if (!Array.isArray(v)) throw snapshotError(`${what} is not an array`);
  return v;
}

export function string(v: unknown, what: string): string {
  if (typeof v !== "string") throw snapshotError(`${what} is not a string`);
  return v;
}

export function number(v: unknown, what: string): number {
  if (typeof v !== "number") throw snapshotError(`${what} is not a number`);
  return v;
}

export function boolean(v: unknown, what: string): boolean {
  if (typeof v !== "boolean") throw snapshotError(`${what} is not a boolean`);
  return v;
}

/** A copy, so the decoded state does not keep the whole snapshot chunk alive. */
export function bytes(v: unknown, what: string): Buffer {
  if (!(v instanceof Uint8Array)) throw snapshotError(`${what} is not bytes`);
  return Buffer.from(v);
}

export function oneOf<T extends string>(v: unknown, values: readonly T[], what: string): T {
  if (!values.includes(v as T)) throw snapshotError(`${what} is not one of ${values.join(", ")}`);
  return v as T;
}

/** Refuses a part written in a newer format (a downgrade) as unavailable: not damage, so no fallback. */
export function checkFormat(v: unknown, current: number, what: string): void {
  const format = number(v, `${what} format`);
  if (format > current) throw new TesseraError("unavailable", `unavailable: ${what} is in snapshot format ${format}; this build reads format ${current}`);
  if (format !== current) throw snapshotError(`${what} has unknown format ${format}`);
}
