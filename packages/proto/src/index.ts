export type { MessageInitShape, MessageShape } from "@bufbuild/protobuf";
export {
  clone,
  create,
  equals,
  fromBinary,
  fromJson,
  fromJsonString,
  toBinary,
  toJson,
  toJsonString,
} from "@bufbuild/protobuf";
export {
  durationFromMs,
  durationMs,
  timestampDate,
  timestampFromDate,
  timestampFromMs,
  timestampMs,
  timestampNow,
} from "@bufbuild/protobuf/wkt";
export type { TlsFiles } from "./credentials";
export { clientCredentials, serverCredentials } from "./credentials";
export * from "./gen/phoenix/v1/agent_pb";
export * from "./gen/phoenix/v1/cluster_pb";
export * from "./gen/phoenix/v1/events_pb";
export * from "./gen/phoenix/v1/inventory_pb";
export * from "./gen/phoenix/v1/swarm_pb";
export type { BidiCall, CallContext, CallOptions, ServiceClient, ServiceImpl } from "./grpc";
export {
  addService,
  createClient,
  createServiceDefinition,
  defaultChannelOptions,
  defaultServerOptions,
} from "./grpc";
export {
  ERROR_METADATA_KEY,
  errorFromStatus,
  fromErrorInfo,
  grpcStatusFor,
  statusFromError,
  toErrorInfo,
} from "./status";
