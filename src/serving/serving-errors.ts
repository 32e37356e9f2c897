import { TesseraError } from "../errors/tessera-error.ts";

/**
 * The errors of Tecton's feature server, with its messages verbatim where they are known
 * (tecton-behaviour.md §1.5); the others follow their style.
 */

/** An unknown workspace, a development workspace, an unknown service or one with online serving off. */
export function featureServiceNotFound(featureService: string, workspace: string): TesseraError {
  return new TesseraError(
    "feature_service_not_found",
    `Unable to query FeatureService \`${featureService}\` for workspace \`${workspace}\`. Newly created feature services may take up to 60 seconds to query. Also, ensure that the workspace is a "live" workspace.`,
  );
}

export function locatorRequired(): TesseraError {
  return new TesseraError("invalid_argument", "Exactly one of featureServiceName and featureServiceId must be set");
}

export function missingJoinKey(name: string): TesseraError {
  return new TesseraError("invalid_argument", `Missing required join key: ${name}`);
}

/** `expected` is written as Go prints a string slice: `[a b]`. */
export function unknownJoinKey(name: string, expected: readonly string[]): TesseraError {
  return new TesseraError("invalid_argument", `Unknown join key: ${name}, expected one of: [${expected.join(" ")}]`);
}

/** A value of the wrong JSON type in joinKeyMap or requestContextMap; `type` is Tecton's type name. */
export function unexpectedJsonType(name: string, map: "joinKeyMap" | "requestContextMap", type: string): TesseraError {
  return new TesseraError("invalid_argument", `Unexpected JSON type for ${name} in ${map}. Expected ${type} or null`);
}

/** A string of the right JSON type whose text is not a value of the type ("12x" for an int64). */
export function invalidValue(name: string, map: "joinKeyMap" | "requestContextMap", type: string, value: string): TesseraError {
  return new TesseraError("invalid_argument", `Invalid ${type} value for ${name} in ${map}: ${JSON.stringify(value)}`);
}

export function missingRequestContextKeys(names: readonly string[]): TesseraError {
  return new TesseraError("invalid_argument", `Expected key not found: [${names.join(" ")}] in requestContextMap`);
}

/** Tecton's 2 s server timeout, when no latency budget was given. */
export function timedOut(): TesseraError {
  return new TesseraError("deadline_exceeded", "Timed out");
}

/** A malformed request body (protobuf JSON would refuse it). */
export function invalidParams(message: string): TesseraError {
  return new TesseraError("invalid_argument", message);
}
