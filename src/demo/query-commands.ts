import { FRAUD_SERVICE, VELOCITY_TABLE } from "./fraud-example.ts";
import { GET_FEATURES_PATH, GET_FEATURES_RPC, getFeaturesBody, type ScoredTransaction } from "./feature-request.ts";

/** Shell commands that query a running demo server, each with a one-line explanation. */

export interface QueryCommand {
  readonly title: string;
  readonly command: string;
}

export interface QueryCommandsOptions {
  /** Base URL of the HTTP port, e.g. http://127.0.0.1:8080. */
  readonly httpUrl: string;
  /** Base URL of the admin port. */
  readonly adminUrl: string;
  /** The transaction the GetFeatures commands score. */
  readonly transaction: ScoredTransaction;
}

const JSON_HEADER = "-H 'content-type: application/json'";

export function queryCommands(options: QueryCommandsOptions): QueryCommand[] {
  const { httpUrl, adminUrl, transaction } = options;
  const body = JSON.stringify(getFeaturesBody(transaction));
  return [
    {
      title: "GetFeatures over Tecton's REST API",
      command: `curl -s ${JSON_HEADER} -d ${shellQuote(body)} ${httpUrl}${GET_FEATURES_PATH}`,
    },
    {
      // The port is plaintext HTTP/2 (h2c); the schema comes from server reflection.
      title: "The same call over gRPC",
      command: `npx buf curl --protocol grpc --http2-prior-knowledge -d ${shellQuote(body)} ${httpUrl}${GET_FEATURES_RPC}`,
    },
    {
      title: "The feature service's join keys, request context and features",
      command: `curl -s ${JSON_HEADER} -d ${shellQuote(JSON.stringify({ params: { featureServiceName: FRAUD_SERVICE } }))} ${httpUrl}/api/v1/feature-service/metadata`,
    },
    {
      title: "One table through beava's data plane",
      command: `curl -s ${JSON_HEADER} -d ${shellQuote(JSON.stringify({ table: VELOCITY_TABLE, key: transaction.userId }))} ${httpUrl}/get`,
    },
    {
      title: "The registry, on the admin port",
      command: `curl -s ${adminUrl}/registry`,
    },
  ];
}

/** Single-quotes a word for POSIX shells. */
function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}
