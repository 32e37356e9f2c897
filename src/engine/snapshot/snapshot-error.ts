import { TesseraError } from "../../errors/tessera-error.ts";

/** The one error a restore throws: `internal_error` with "snapshot: <what is wrong>". */
export function snapshotError(what: string): TesseraError {
  return new TesseraError("internal_error", `snapshot: ${what}`);
}

export function isSnapshotError(err: unknown): err is TesseraError {
  return err instanceof TesseraError && err.code === "internal_error" && err.message.startsWith("snapshot: ");
}
