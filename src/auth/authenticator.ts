import { TesseraError } from "../errors/tessera-error.ts";
import { hashKey, keyIdOf, MAX_PRESENTED_KEY_LENGTH, sameHash } from "./api-keys.ts";
import type { AuthState } from "./auth-state.ts";
import { isValidCaller, type Caller } from "./caller.ts";
import type { ApiKeyRecord } from "./principal.ts";

/** Tecton's text for a bad or unknown key (tecton-behaviour §1.5). */
export const INVALID_KEY_MESSAGE = "invalid 'Tecton-key' authorization header";
export const MISSING_KEY_MESSAGE = "missing 'Tecton-key' authorization header: send `Authorization: Tecton-key <api key>` (or `Bearer <api key>`)";

/** Entries per generation of the credential cache; at most twice this many keys are held. */
const CACHE_GENERATION = 4096;

/**
 * Turns a presented API key into a Caller.
 *
 * The hot path: a key seen before is found in a two-generation cache keyed by the presented string
 * (one Map lookup, whose string hash V8 computes once per header string) and its validity is two
 * property reads. A key not in the cache costs one SHA-256 and a constant-time compare against the
 * record its id names (or the bootstrap admin key). Only keys that authenticated are cached, so
 * random keys cannot fill the cache; a revoked or deactivated entry fails validation and is dropped.
 */
export class Authenticator {
  private readonly state: AuthState;
  private readonly bootstrapHash: Buffer | undefined;
  private readonly bootstrapCaller: Caller;
  private young = new Map<string, Caller>();
  private old = new Map<string, Caller>();
  /** One Caller per key record, shared by every cache entry and connection using it. */
  private readonly callers = new WeakMap<ApiKeyRecord, Caller>();

  constructor(state: AuthState, bootstrapKey: string | undefined) {
    this.state = state;
    this.bootstrapHash = bootstrapKey === undefined ? undefined : hashKey(bootstrapKey);
    this.bootstrapCaller = Object.freeze({ actor: state.bootstrapAdmin, apiKey: null, authOff: false });
  }

  /**
   * `Authorization: Tecton-key <key>` (scheme case-insensitive) or `Bearer <key>`; throws
   * unauthenticated for a missing header, another scheme, or a key that does not authenticate.
   */
  fromHeader(header: string | undefined): Caller {
    if (header === undefined || header === "") throw new TesseraError("unauthenticated", MISSING_KEY_MESSAGE);
    const space = header.indexOf(" ");
    if (space <= 0) throw new TesseraError("unauthenticated", INVALID_KEY_MESSAGE);
    const scheme = header.slice(0, space).toLowerCase();
    if (scheme !== "tecton-key" && scheme !== "bearer") throw new TesseraError("unauthenticated", INVALID_KEY_MESSAGE);
    return this.fromKey(header.slice(space + 1).trim());
  }

  /** A bare key (TCP OP_AUTH). */
  fromKey(key: unknown): Caller {
    if (typeof key !== "string" || key === "" || key.length > MAX_PRESENTED_KEY_LENGTH) throw new TesseraError("unauthenticated", INVALID_KEY_MESSAGE);
    let caller = this.young.get(key);
    if (caller === undefined) {
      caller = this.old.get(key);
      if (caller !== undefined) this.remember(key, caller);
    }
    if (caller !== undefined) {
      if (isValidCaller(caller)) return caller;
      this.young.delete(key);
      this.old.delete(key);
      throw new TesseraError("unauthenticated", INVALID_KEY_MESSAGE);
    }
    caller = this.lookUp(key);
    if (caller === undefined || !isValidCaller(caller)) throw new TesseraError("unauthenticated", INVALID_KEY_MESSAGE);
    this.remember(key, caller);
    return caller;
  }

  private lookUp(key: string): Caller | undefined {
    const hash = hashKey(key);
    if (this.bootstrapHash !== undefined && sameHash(hash, this.bootstrapHash)) return this.bootstrapCaller;
    const id = keyIdOf(key);
    const record = id === undefined ? undefined : this.state.apiKeys.get(id);
    if (record === undefined || !sameHash(hash, record.hash)) return undefined;
    const actor = this.state.actor(record.owner);
    if (actor === undefined) return undefined;
    let caller = this.callers.get(record);
    if (caller === undefined) {
      caller = Object.freeze({ actor, apiKey: record, authOff: false });
      this.callers.set(record, caller);
    }
    return caller;
  }

  private remember(key: string, caller: Caller): void {
    if (this.young.size >= CACHE_GENERATION) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, caller);
  }
}
