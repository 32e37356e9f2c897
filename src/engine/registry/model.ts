import type { Row, Schema, Value, ValueType, WireType } from "../types.ts";
import type { AggregationSpecLike } from "./deps.ts";

// ---------------------------------------------------------------------------------------------------
// Descriptors: the normalised, strictly-typed form of the register payload's nodes (descriptors.ts).
// They are what the diff compares. Defaults are applied (dedupe_window_ms, ops, params, ...), unknown
// keys of event/derivation nodes are dropped (beava ignores them), JSON object order is kept where it
// matters (event fields, realtime features, agg declaration order).
// ---------------------------------------------------------------------------------------------------

export type NodeKind = "event" | "derivation" | "realtime" | "feature_service";

export interface EventDescriptor {
  readonly kind: "event";
  readonly name: string;
  /** Declared order. */
  readonly fields: readonly (readonly [string, WireType])[];
  /** Sorted, de-duplicated. Always a subset of `fields` (validated). */
  readonly optionalFields: readonly string[];
  readonly dedupeKey: string | undefined;
  readonly dedupeWindowMs: number;
  readonly coldAfterMs: number | undefined;
  readonly keepEventsForMs: number | undefined;
}

export interface AggDescriptor {
  readonly op: string;
  readonly params: Readonly<Record<string, unknown>>;
}

export type OpDescriptor =
  | { readonly op: "filter"; readonly expr: string }
  | { readonly op: "select"; readonly fields: readonly string[] }
  | { readonly op: "drop"; readonly fields: readonly string[] }
  | { readonly op: "rename"; readonly mapping: readonly (readonly [string, string])[] }
  /** `map` is normalised to `with_columns`; columns sorted by name (evaluation order). */
  | { readonly op: "with_columns"; readonly exprs: readonly (readonly [string, string])[] }
  /** Targets as written (validated at compile time: str, int, float, bool and the expression language's spellings). */
  | { readonly op: "cast"; readonly typeMap: readonly (readonly [string, string])[] }
  | { readonly op: "fillna"; readonly defaults: readonly (readonly [string, Value])[] }
  | {
      readonly op: "group_by";
      readonly keys: readonly string[];
      /** Declared order (duplicate JSON keys: last one wins, as JSON.parse does). */
      readonly agg: readonly (readonly [string, AggDescriptor])[];
    };

export interface DerivationDescriptor {
  readonly kind: "derivation";
  readonly name: string;
  readonly outputKind: "event" | "table";
  readonly upstreams: readonly string[];
  readonly ops: readonly OpDescriptor[];
  /** Whether the node declared a non-empty `schema.fields` (only used for the "no ops and no schema" rule). */
  readonly declaresSchema: boolean;
  readonly tablePrimaryKey: readonly string[] | undefined;
}

export interface RealtimeDescriptor {
  readonly kind: "realtime";
  readonly name: string;
  readonly requestFields: readonly (readonly [string, WireType])[];
  readonly tables: readonly string[];
  /** Declared order = output order. */
  readonly features: readonly (readonly [string, string])[];
  readonly description: string | undefined;
  readonly tags: Readonly<Record<string, string>>;
}

export type FeatureServiceEntry =
  | { readonly table: string; readonly features: readonly string[] | undefined; readonly alias: string | undefined }
  | { readonly realtime: string };

export interface FeatureServiceDescriptor {
  readonly kind: "feature_service";
  readonly name: string;
  readonly description: string | undefined;
  readonly tags: Readonly<Record<string, string>>;
  readonly features: readonly FeatureServiceEntry[];
  readonly onlineServingEnabled: boolean;
}

export type NodeDescriptor = EventDescriptor | DerivationDescriptor | RealtimeDescriptor | FeatureServiceDescriptor;

export interface ParsedEnvelope {
  readonly nodes: readonly NodeDescriptor[];
  /** The raw node values, payload order (stored for GET /registry and snapshots). */
  readonly rawNodes: readonly unknown[];
  readonly force: boolean;
  readonly dryRun: boolean;
}

// ---------------------------------------------------------------------------------------------------
// Compiled registry (what the engine core and serving use).
// ---------------------------------------------------------------------------------------------------

export interface KeyColumn {
  readonly name: string;
  readonly type: ValueType;
}

export interface CompiledEvent {
  readonly name: string;
  /** Declared order, with wire and engine types. */
  readonly fields: readonly { readonly name: string; readonly wireType: WireType; readonly type: ValueType }[];
  readonly wireTypes: ReadonlyMap<string, WireType>;
  /**
   * Every field whose name has no control character (a push naming one takes the ordered checks,
   * which refuse it): its wire type when required (type-checked on push), null when optional.
   */
  readonly pushChecks: ReadonlyMap<string, WireType | null>;
  /** How many fields are required. */
  readonly requiredCount: number;
  readonly schema: Schema;
  readonly dedupeKey: string | undefined;
  readonly dedupeWindowMs: number;
  readonly coldAfterMs: number | undefined;
  readonly keepEventsForMs: number | undefined;
}

/** A compiled `output_kind:"event"` derivation (inert for pushes; its chain is composed into tables). */
export interface CompiledEventDerivation {
  readonly name: string;
  readonly rootEvent: string;
  readonly schema: Schema;
  /** The flattened chain from the root event through this derivation. */
  readonly transform: (row: Row) => Row | null;
}

export interface CompiledTable<A extends AggregationSpecLike = AggregationSpecLike> {
  readonly name: string;
  /** The event whose pushes feed this table (upstream event-derivation chains are flattened). */
  readonly rootEvent: string;
  /** The declared `upstreams[0]` (the root event or an event derivation). */
  readonly upstream: string;
  /**
   * The flattened prefix op chain (ancestors' ops, then this table's ops before group_by).
   * Returns null when a filter drops the row. Never mutates its input; returns the input itself when
   * nothing changes it (no ops, or only filters).
   */
  readonly prefix: (row: Row) => Row | null;
  /** False when the chain is empty (prefix is the identity). */
  readonly hasPrefix: boolean;
  /** The schema after the prefix ops (what keys and aggregations read). */
  readonly schema: Schema;
  /** group_by keys in order, with their (post-op) types. Empty = global table. */
  readonly keyColumns: readonly KeyColumn[];
  /** compileAggregation results, declared order. */
  readonly aggregations: readonly A[];
  /** Feature name -> output type (same content as aggregations, for lookups). */
  readonly featureTypes: ReadonlyMap<string, ValueType>;
  readonly tablePrimaryKey: readonly string[];
  /** The root event's cold_after_ms (per-entity TTL). */
  readonly coldAfterMs: number | undefined;
}

export interface CompiledRealtimeFeature {
  readonly name: string;
  readonly expr: string;
  readonly type: ValueType;
  /**
   * Evaluates the expression. The input row holds the request fields by name and the table
   * features as `"<table>.<feature>"` (null when missing).
   */
  readonly evaluate: (row: Row) => Value;
  /** Inputs the expression reads (request field names and `"<table>.<feature>"`). */
  readonly inputs: readonly string[];
}

export interface CompiledRealtime {
  readonly name: string;
  readonly requestFields: readonly { readonly name: string; readonly wireType: WireType; readonly type: ValueType }[];
  readonly tables: readonly string[];
  /** Declared order = output order. */
  readonly features: readonly CompiledRealtimeFeature[];
  /** Distinct `{table, feature}` pairs the expressions read, in first-use order. */
  readonly tableInputs: readonly { readonly table: string; readonly feature: string }[];
  /** Union of the key columns of `tables`. */
  readonly joinKeys: readonly KeyColumn[];
  readonly description: string | undefined;
  readonly tags: Readonly<Record<string, string>>;
}

export interface FeatureServiceOutput {
  /** `<table_or_alias_or_realtime>.<feature>` — exactly one dot. */
  readonly name: string;
  readonly source: "table" | "realtime";
  /** The table or realtime node name. */
  readonly node: string;
  /** The prefix used in `name` (alias, table or realtime name). */
  readonly prefix: string;
  readonly feature: string;
  readonly type: ValueType;
}

export interface FeatureServiceTableRead {
  readonly table: string;
  readonly prefix: string;
  /** Alphabetical. */
  readonly features: readonly string[];
  readonly keyColumns: readonly KeyColumn[];
}

export interface CompiledFeatureService {
  readonly name: string;
  readonly description: string | undefined;
  readonly tags: Readonly<Record<string, string>>;
  readonly onlineServingEnabled: boolean;
  /** Output order (Tecton): realtime views by name (declared feature order), then tables by prefix (features alphabetical). */
  readonly features: readonly FeatureServiceOutput[];
  /** Realtime views in output order. */
  readonly realtime: readonly string[];
  /** Table selections in output order. */
  readonly tableReads: readonly FeatureServiceTableRead[];
  /** Every table read, directly or through a realtime view (sorted). */
  readonly tables: readonly string[];
  /** Union of the key columns of every table read (first-appearance order over realtime views, then table reads). */
  readonly joinKeys: readonly KeyColumn[];
  /** Union of the realtime views' request fields (first-appearance order). */
  readonly requestContextKeys: readonly KeyColumn[];
}

export interface CompiledRegistry<A extends AggregationSpecLike = AggregationSpecLike> {
  /** registry_version: 0 for an empty registry, +1 per mutating registration. */
  readonly version: number;
  readonly events: ReadonlyMap<string, CompiledEvent>;
  readonly eventDerivations: ReadonlyMap<string, CompiledEventDerivation>;
  readonly tables: ReadonlyMap<string, CompiledTable<A>>;
  /** Root event name -> the tables it feeds, in payload order (the push routing table). */
  readonly tablesByEvent: ReadonlyMap<string, readonly CompiledTable<A>[]>;
  readonly realtime: ReadonlyMap<string, CompiledRealtime>;
  readonly featureServices: ReadonlyMap<string, CompiledFeatureService>;
  /** The normalised descriptors by name (what the next registration is diffed against). */
  readonly descriptors: ReadonlyMap<string, NodeDescriptor>;
  /** The accepted raw nodes, payload order (GET /registry, snapshots, recovery). */
  readonly nodes: readonly unknown[];
}

// ---------------------------------------------------------------------------------------------------
// Diff and plan
// ---------------------------------------------------------------------------------------------------

export type AdditiveEntry =
  | { readonly kind: "new_descriptor"; readonly descriptor_kind: NodeKind; readonly name: string }
  | { readonly kind: "new_agg"; readonly table: string; readonly agg: string; readonly source: string }
  | { readonly kind: "new_field"; readonly event: string; readonly field: string; readonly type: WireType };

export type DestructiveEntry =
  | { readonly kind: "rename"; readonly from: string; readonly to: string }
  | { readonly kind: "type_change"; readonly field: string; readonly from: string; readonly to: string }
  | { readonly kind: "op_removal"; readonly table: string; readonly agg: string }
  | { readonly kind: "op_change"; readonly table: string; readonly index: number }
  | { readonly kind: "agg_removal"; readonly table: string; readonly agg: string }
  | { readonly kind: "agg_change"; readonly table: string; readonly agg: string; readonly from: string; readonly to: string }
  | { readonly kind: "window_change"; readonly agg: string; readonly from: string; readonly to: string }
  | { readonly kind: "key_cols_change"; readonly table: string; readonly from: readonly string[]; readonly to: readonly string[] }
  | { readonly kind: "event_change"; readonly event: string; readonly field: string }
  | { readonly kind: "node_change"; readonly node: string; readonly descriptor_kind: NodeKind };

export interface RegistryDiff {
  readonly additive: readonly AdditiveEntry[];
  readonly destructive: readonly DestructiveEntry[];
  readonly already_present: readonly string[];
}

export interface RegisterResponse {
  readonly status: "ok";
  readonly registry_version: number;
  readonly registered_descriptors: readonly string[];
  readonly added: readonly string[];
  readonly already_present: readonly string[];
}

export interface DryRunResponse {
  readonly diff: RegistryDiff;
  readonly would_apply: false;
}

export type RegistrationPlan<A extends AggregationSpecLike = AggregationSpecLike> =
  | { readonly kind: "dry_run"; readonly diff: RegistryDiff; readonly response: DryRunResponse }
  | { readonly kind: "noop"; readonly diff: RegistryDiff; readonly response: RegisterResponse }
  | {
      readonly kind: "apply";
      readonly diff: RegistryDiff;
      readonly next: CompiledRegistry<A>;
      /** Tables (of `current`) whose state must be discarded: removed, renamed, or changed destructively (directly or through an upstream). */
      readonly droppedTables: readonly string[];
      /** Events (of `current`) whose state (dedupe cache) must be discarded: removed, renamed, kind or dedupe settings changed. */
      readonly droppedEvents: readonly string[];
      /** Kept tables that gained features (additive new_agg): the engine adds fresh state for these features. */
      readonly addedFeatures: readonly { readonly table: string; readonly features: readonly string[] }[];
      readonly response: RegisterResponse;
    };
