import { create, toBinary, type DescFile, type DescService } from "@bufbuild/protobuf";
import { nestedTypes } from "@bufbuild/protobuf/reflect";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter } from "@connectrpc/connect";
import {
  ServerReflection as ServerReflectionV1,
  ServerReflectionResponseSchema as ResponseV1,
  type ServerReflectionRequest,
  type ServerReflectionResponse,
} from "../../../gen/grpc/reflection/v1/reflection_pb.ts";
import {
  ServerReflection as ServerReflectionV1Alpha,
  ServerReflectionResponseSchema as ResponseV1Alpha,
} from "../../../gen/grpc/reflection/v1alpha/reflection_pb.ts";

/** gRPC status codes used in reflection error responses. */
const NOT_FOUND = 5;
const UNIMPLEMENTED = 12;

/**
 * Index of the schema the server exposes: file name -> file, fully-qualified symbol -> file, and
 * serialized descriptors (computed once; reflection is called per client, not per request).
 */
class DescriptorIndex {
  private readonly files = new Map<string, DescFile>();
  private readonly symbols = new Map<string, DescFile>();
  private readonly bytes = new Map<string, Uint8Array>();
  readonly serviceNames: string[];

  constructor(services: readonly DescService[]) {
    this.serviceNames = services.map((s) => s.typeName).sort();
    for (const s of services) this.addFile(s.file);
  }

  private addFile(file: DescFile): void {
    if (this.files.has(file.proto.name)) return;
    this.files.set(file.proto.name, file);
    this.bytes.set(file.proto.name, toBinary(FileDescriptorProtoSchema, file.proto));
    for (const svc of file.services) {
      this.symbols.set(svc.typeName, file);
      for (const m of svc.methods) this.symbols.set(`${svc.typeName}.${m.name}`, file);
    }
    for (const t of nestedTypes(file)) this.symbols.set(t.typeName, file);
    for (const dep of file.dependencies) this.addFile(dep);
  }

  byName(name: string): DescFile | undefined {
    return this.files.get(name);
  }

  bySymbol(symbol: string): DescFile | undefined {
    return this.symbols.get(symbol);
  }

  /** The file and every transitive dependency not yet sent on this stream (as grpc-go does). */
  withDependencies(file: DescFile, sent: Set<string>): Uint8Array[] {
    const out: Uint8Array[] = [];
    const visit = (f: DescFile): void => {
      if (sent.has(f.proto.name)) return;
      sent.add(f.proto.name);
      out.push(this.bytes.get(f.proto.name) as Uint8Array);
      for (const d of f.dependencies) visit(d);
    };
    visit(file);
    return out;
  }
}

type ResponseInit = Omit<Partial<ServerReflectionResponse>, "$typeName">;

function answer(index: DescriptorIndex, req: ServerReflectionRequest, sent: Set<string>): ResponseInit {
  const notFound = (what: string): ResponseInit => ({
    messageResponse: { case: "errorResponse", value: { errorCode: NOT_FOUND, errorMessage: `${what} not found` } as never },
  });
  const files = (file: DescFile | undefined, what: string): ResponseInit =>
    file === undefined
      ? notFound(what)
      : {
          messageResponse: {
            case: "fileDescriptorResponse",
            value: { fileDescriptorProto: index.withDependencies(file, sent) } as never,
          },
        };
  const r = req.messageRequest;
  switch (r.case) {
    case "listServices":
      return {
        messageResponse: {
          case: "listServicesResponse",
          value: { service: index.serviceNames.map((name) => ({ name })) } as never,
        },
      };
    case "fileByFilename":
      return files(index.byName(r.value), `file ${r.value}`);
    case "fileContainingSymbol":
      return files(index.bySymbol(r.value), `symbol ${r.value}`);
    case "fileContainingExtension":
      return notFound(`extension ${r.value.containingType}#${r.value.extensionNumber}`);
    case "allExtensionNumbersOfType":
      // None of the served messages declares extension ranges.
      return index.bySymbol(r.value) === undefined
        ? notFound(`type ${r.value}`)
        : {
            messageResponse: {
              case: "allExtensionNumbersResponse",
              value: { baseTypeName: r.value, extensionNumber: [] } as never,
            },
          };
    default:
      return {
        messageResponse: {
          case: "errorResponse",
          value: { errorCode: UNIMPLEMENTED, errorMessage: "unsupported reflection request" } as never,
        },
      };
  }
}

/**
 * grpc.reflection.v1 and v1alpha (same messages, different packages) over the given services, so
 * `buf curl`, grpcurl and Postman can discover the API without the .proto files.
 */
export function registerReflection(router: ConnectRouter, services: readonly DescService[]): void {
  const all = [...services, ServerReflectionV1, ServerReflectionV1Alpha];
  const index = new DescriptorIndex(all);
  router.service(ServerReflectionV1, {
    async *serverReflectionInfo(requests) {
      const sent = new Set<string>();
      for await (const req of requests) {
        yield create(ResponseV1, { validHost: req.host, originalRequest: req, ...answer(index, req, sent) });
      }
    },
  });
  router.service(ServerReflectionV1Alpha, {
    async *serverReflectionInfo(requests) {
      const sent = new Set<string>();
      for await (const req of requests) {
        // v1alpha messages have the same fields and numbers as v1.
        const init = answer(index, req as unknown as ServerReflectionRequest, sent);
        yield create(ResponseV1Alpha, { validHost: req.host, originalRequest: req, ...(init as object) });
      }
    },
  });
}
