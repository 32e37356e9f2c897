/** gRPC as the benches put it on the wire themselves: length-prefixed messages and a reply check. */
import type { Validate } from "./load.ts";

/** One length-prefixed message: a flag byte (0, uncompressed), the u32 BE length, the message. */
export function grpcFrame(message: Uint8Array): Buffer {
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  return frame;
}

/** gRPC fails with HTTP 200 and a grpc-status; a trailers-only reply carries it in the headers. */
export const expectGrpcOk: Validate = (res) => {
  const status = res.trailers["grpc-status"] ?? res.headers["grpc-status"];
  return res.status === 200 && status === "0" ? null : `HTTP ${res.status}, grpc-status ${String(status)} ${String(res.trailers["grpc-message"] ?? res.headers["grpc-message"] ?? "")}`;
};
