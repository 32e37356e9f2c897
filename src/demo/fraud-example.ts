import type { JsonObject } from "../client/index.ts";
import registry from "../../examples/fraud/registry.json" with { type: "json" };

/**
 * The fraud-detection example: the registry in examples/fraud/registry.json (the very file its
 * README registers with `curl -d @...`, so the demo and the docs cannot drift apart) and the names in
 * it that the demo's generator and queries rely on.
 */

/**
 * The registry nodes, in file order: events, tables, the realtime view, the feature service. (The
 * type TypeScript infers for a JSON module adds `?: undefined` members; parsed JSON has none.)
 */
export const FRAUD_NODES = registry.nodes as unknown as readonly JsonObject[];

/** The feature service the demo queries; its join keys are `user_id` and `merchant_id`. */
export const FRAUD_SERVICE = "fraud_detection";

/** The request context of `txn_checks`: the amount of the transaction being scored. */
export const AMOUNT_FIELD = "amount";

/** The table the printed beava `/get` command reads (continuous windows: fresh at once). */
export const VELOCITY_TABLE = "user_velocity";

/** The interval of the example's tiled windows (the `_10m` features). */
export const TILE_INTERVAL_MS = 10 * 60_000;

/** Events the example declares; the generator emits exactly these shapes. */
export interface TransactionData extends JsonObject {
  txn_id: string;
  user_id: string;
  card_id: string;
  merchant_id: string;
  device_id: string;
  amount: number;
  country: string;
  channel: string;
}

export interface LoginData extends JsonObject {
  user_id: string;
  device_id: string;
  country: string;
  success: boolean;
}

export type FraudEvent = { readonly event: "transaction"; readonly data: TransactionData } | { readonly event: "login"; readonly data: LoginData };
