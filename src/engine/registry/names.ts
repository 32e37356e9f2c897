import { TesseraError } from "../../errors/tessera-error.ts";

/** Node names (events, derivations, realtime views), feature names, aliases: beava's identifier rule. */
export const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Feature service names may also contain ':' and '-' (Tecton, e.g. `fraud_detection:v2`). */
export const SERVICE_NAME_RE = /^[A-Za-z_][A-Za-z0-9_:-]*$/;
export const MAX_NAME_LENGTH = 128;
/** Reserved prefixes (beava reserves `_beava_`; Tessera also reserves `_tessera_`). */
export const RESERVED_PREFIXES: readonly string[] = ["_beava_", "_tessera_"];

export function invalid(path: string, reason: string): TesseraError {
  return new TesseraError("invalid_registration", reason, { path, reason });
}

export function fail(code: TesseraError["code"], path: string, reason: string): TesseraError {
  return new TesseraError(code, reason, { path, reason });
}

/** Checks a node / feature / alias name; throws invalid_registration. */
export function checkName(name: string, path: string, what: string, re: RegExp = NAME_RE): void {
  if (name.length === 0) throw invalid(path, `${what} name must not be empty`);
  if (name.length > MAX_NAME_LENGTH) throw invalid(path, `${what} name ${JSON.stringify(name)} is longer than ${MAX_NAME_LENGTH} characters`);
  for (const p of RESERVED_PREFIXES) {
    if (name.startsWith(p)) throw invalid(path, `${what} name ${JSON.stringify(name)} uses the reserved prefix ${p}`);
  }
  if (!re.test(name)) throw invalid(path, `${what} name ${JSON.stringify(name)} must match ${re.source}`);
}

/** Code-unit string order (deterministic, locale-independent). */
export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Canonical JSON (object keys sorted) for structural comparison. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (isPlainObject(v)) {
    const keys = Object.keys(v).filter((k) => v[k] !== undefined).sort(cmp);
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(",")}}`;
  }
  if (v === undefined) return "null";
  return JSON.stringify(v);
}
