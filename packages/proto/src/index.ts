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
export type { MessageCodec, MethodKind, WireMethod } from "./codec";
export {
  DurationCodec,
  durationFromMs,
  durationMs,
  TimestampCodec,
  timestampDate,
  timestampFromDate,
  timestampFromMs,
  timestampMs,
  timestampNow,
} from "./codec-wkt";
export { clientCredentials, serverCredentials } from "./credentials";
export {
  cleanDetails,
  ERROR_METADATA_KEY,
  errorFromWire,
  errorInfoBytes,
  fromErrorInfo,
  GrpcCode,
  grpcStatusFor,
  toErrorInfo,
} from "./error-info";
export * from "./gen/phoenix/v1/agent_codec";
export * from "./gen/phoenix/v1/agent_pb";
export * from "./gen/phoenix/v1/cluster_codec";
export * from "./gen/phoenix/v1/cluster_pb";
export * from "./gen/phoenix/v1/events_codec";
export * from "./gen/phoenix/v1/events_pb";
export * from "./gen/phoenix/v1/inventory_codec";
export * from "./gen/phoenix/v1/inventory_pb";
export * from "./gen/phoenix/v1/stack_codec";
export * from "./gen/phoenix/v1/stack_pb";
export * from "./gen/phoenix/v1/swarm_codec";
export * from "./gen/phoenix/v1/swarm_pb";
export type { BidiCall, CallContext, CallOptions, ServiceClient, ServiceImpl } from "./grpc";
export {
  addService,
  createClient,
  createServiceDefinition,
  defaultChannelOptions,
  defaultServerOptions,
} from "./grpc";
export { grpcTimeout } from "./grpc-metadata";
export type { BidiStream, BidiStreamOptions } from "./h2-bidi";
export { openBidiStream } from "./h2-bidi";
export type { H2CallOptions, H2Channel, H2ChannelOptions } from "./h2-channel";
export { createH2Channel } from "./h2-channel";
export { errorFromStatus, statusFromError } from "./status";
export type { ClientTls, TlsFiles } from "./tls-files";
export { clientTls, readPem } from "./tls-files";
