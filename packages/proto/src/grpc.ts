import type {
  DescMessage,
  DescMethod,
  DescService,
  MessageInitShape,
  MessageShape,
} from "@bufbuild/protobuf";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { PhoenixError } from "@phoenix/errors";
import { errorFromStatus, statusFromError } from "./status";

type AnyService = Omit<DescService, "method"> & { method: Record<string, DescMethod> };
type In<M extends DescMethod> = MessageShape<M["input"]>;
type Out<M extends DescMethod> = MessageShape<M["output"]>;

/** Per-call facts a handler may need: caller metadata, cancellation, peer. */
export interface CallContext {
  readonly metadata: grpc.Metadata;
  /** Aborted when the caller cancels or the deadline passes. */
  readonly signal: AbortSignal;
  readonly peer: string;
}

/** A bidi handler gets the raw typed duplex call; it owns the stream's lifetime. */
export type BidiCall<I, O> = grpc.ServerDuplexStream<I, O>;

type MethodImpl<M extends DescMethod> = M["methodKind"] extends "unary"
  ? (req: In<M>, ctx: CallContext) => Promise<MessageInitShape<M["output"]>> | MessageInitShape<M["output"]>
  : M["methodKind"] extends "server_streaming"
    ? (req: In<M>, ctx: CallContext) => AsyncIterable<MessageInitShape<M["output"]>>
    : M["methodKind"] extends "bidi_streaming"
      ? (call: BidiCall<In<M>, Out<M>>, ctx: CallContext) => void | Promise<void>
      : never;

/** Handlers for every method of a service, keyed by the method's local name. */
export type ServiceImpl<S extends AnyService> = { [K in keyof S["method"]]: MethodImpl<S["method"][K]> };

/** Options of a single client call. */
export interface CallOptions {
  /** Milliseconds until DEADLINE_EXCEEDED. */
  timeoutMs?: number;
  /** Cancels the call when aborted. */
  signal?: AbortSignal;
  metadata?: grpc.Metadata;
}

type ClientMethod<M extends DescMethod> = M["methodKind"] extends "unary"
  ? (req: MessageInitShape<M["input"]>, opts?: CallOptions) => Promise<Out<M>>
  : M["methodKind"] extends "server_streaming"
    ? (req: MessageInitShape<M["input"]>, opts?: CallOptions) => AsyncIterable<Out<M>>
    : M["methodKind"] extends "bidi_streaming"
      ? (opts?: CallOptions) => grpc.ClientDuplexStream<In<M>, Out<M>>
      : never;

/** A typed client: one function per method, errors thrown as PhoenixError. */
export type ServiceClient<S extends AnyService> = {
  [K in keyof S["method"]]: ClientMethod<S["method"][K]>;
} & {
  /** Closes the underlying channel. */
  close(): void;
  /** The grpc-js client, for waitForReady and channel state. */
  readonly raw: grpc.Client;
};

function serializer(schema: DescMessage): grpc.serialize<unknown> {
  return (msg) => Buffer.from(toBinary(schema, msg as MessageShape<DescMessage>));
}
function deserializer(schema: DescMessage): grpc.deserialize<unknown> {
  return (buf) => fromBinary(schema, buf);
}

/** Builds the grpc-js service definition of a protobuf-es service descriptor. */
export function createServiceDefinition(service: DescService): grpc.ServiceDefinition {
  const def: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methods) {
    if (method.methodKind === "client_streaming") {
      throw new Error(`${service.typeName}.${method.name}: client streaming is not supported`);
    }
    def[method.localName] = {
      path: `/${service.typeName}/${method.name}`,
      requestStream: method.methodKind === "bidi_streaming",
      responseStream: method.methodKind !== "unary",
      requestSerialize: serializer(method.input),
      requestDeserialize: deserializer(method.input),
      responseSerialize: serializer(method.output),
      responseDeserialize: deserializer(method.output),
      originalName: method.localName,
    };
  }
  return def as grpc.ServiceDefinition;
}

type SurfaceCall =
  | grpc.ServerUnaryCall<unknown, unknown>
  | grpc.ServerWritableStream<unknown, unknown>
  | grpc.ServerDuplexStream<unknown, unknown>;

function contextOf(call: SurfaceCall): CallContext {
  const ac = new AbortController();
  (call as grpc.ServerUnaryCall<unknown, unknown>).on("cancelled", () => ac.abort());
  return { metadata: call.metadata, signal: ac.signal, peer: call.getPeer() };
}

/** Registers typed handlers on a grpc-js server. Thrown errors become gRPC statuses. */
export function addService<S extends AnyService>(
  server: grpc.Server,
  service: S,
  impl: ServiceImpl<S>,
): void {
  const handlers: grpc.UntypedServiceImplementation = {};
  for (const method of service.methods) {
    const fn = (impl as Record<string, unknown>)[method.localName];
    if (typeof fn !== "function") throw new Error(`${service.typeName}.${method.name} has no handler`);
    handlers[method.localName] = wrapHandler(method, fn as (...args: unknown[]) => unknown);
  }
  server.addService(createServiceDefinition(service), handlers);
}

function wrapHandler(method: DescMethod, fn: (...args: unknown[]) => unknown): grpc.UntypedHandleCall {
  switch (method.methodKind) {
    case "unary":
      return (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        Promise.resolve()
          .then(() => fn(call.request, contextOf(call)))
          .then(
            (out) => callback(null, create(method.output, out as MessageInitShape<DescMessage>)),
            (err) => callback(statusFromError(err)),
          );
      };
    case "server_streaming":
      return (call: grpc.ServerWritableStream<unknown, unknown>) => {
        const ctx = contextOf(call);
        void (async () => {
          try {
            const it = fn(call.request, ctx) as AsyncIterable<MessageInitShape<DescMessage>>;
            for await (const out of it) {
              if (ctx.signal.aborted) break;
              if (!call.write(create(method.output, out))) {
                await new Promise<void>((resolve) => {
                  const done = () => {
                    call.off("drain", done);
                    call.off("cancelled", done);
                    resolve();
                  };
                  call.once("drain", done);
                  call.once("cancelled", done);
                });
              }
            }
            if (!ctx.signal.aborted) call.end();
          } catch (err) {
            // emit("error") sends the status after what was written; destroy() would drop it.
            if (!ctx.signal.aborted) call.emit("error", statusFromError(err));
          }
        })();
      };
    case "bidi_streaming":
      return (call: grpc.ServerDuplexStream<unknown, unknown>) => {
        Promise.resolve()
          .then(() => fn(call, contextOf(call)))
          .catch((err) => call.emit("error", statusFromError(err)));
      };
    default:
      throw new Error(`unsupported method kind ${method.methodKind}`);
  }
}

/** Channel options every Phoenix client and server uses. */
export const defaultChannelOptions: grpc.ChannelOptions = {
  "grpc.keepalive_time_ms": 10_000,
  "grpc.keepalive_timeout_ms": 5_000,
  "grpc.keepalive_permit_without_calls": 1,
  "grpc.max_receive_message_length": 16 * 1024 * 1024,
  "grpc.max_send_message_length": 16 * 1024 * 1024,
};

/** Server options matching the clients' keepalive pings. */
export const defaultServerOptions: grpc.ServerOptions = {
  "grpc.keepalive_time_ms": 10_000,
  "grpc.keepalive_timeout_ms": 5_000,
  "grpc.keepalive_permit_without_calls": 1,
  "grpc.http2.min_ping_interval_without_data_ms": 5_000,
  "grpc.max_receive_message_length": 16 * 1024 * 1024,
  "grpc.max_send_message_length": 16 * 1024 * 1024,
};

function callOptions(opts?: CallOptions): grpc.CallOptions {
  return opts?.timeoutMs === undefined ? {} : { deadline: Date.now() + opts.timeoutMs };
}

function bindSignal(call: grpc.Call, signal?: AbortSignal): void {
  if (!signal) return;
  if (signal.aborted) call.cancel();
  else signal.addEventListener("abort", () => call.cancel(), { once: true });
}

async function* readStream<T>(call: grpc.ClientReadableStream<T>): AsyncIterable<T> {
  try {
    for await (const msg of call) yield msg as T;
  } catch (err) {
    throw errorFromStatus(err);
  } finally {
    call.cancel();
  }
}

/** Creates a typed client for a protobuf-es service descriptor. */
export function createClient<S extends AnyService>(
  service: S,
  address: string,
  credentials: grpc.ChannelCredentials,
  options: grpc.ChannelOptions = {},
  defaultMetadata?: () => grpc.Metadata,
): ServiceClient<S> {
  const Ctor = grpc.makeGenericClientConstructor(createServiceDefinition(service), service.name);
  const raw = new Ctor(address, credentials, { ...defaultChannelOptions, ...options });
  const client: Record<string, unknown> = {
    close: () => raw.close(),
    raw,
  };
  const metaFor = (opts?: CallOptions) => {
    const md = defaultMetadata ? defaultMetadata() : new grpc.Metadata();
    if (opts?.metadata) md.merge(opts.metadata);
    return md;
  };
  for (const method of service.methods) {
    const name = method.localName;
    const fn = (raw as unknown as Record<string, (...args: unknown[]) => grpc.Call>)[name]!.bind(raw);
    switch (method.methodKind) {
      case "unary":
        client[name] = (req: MessageInitShape<DescMessage>, opts?: CallOptions) =>
          new Promise((resolve, reject) => {
            const call = fn(
              create(method.input, req),
              metaFor(opts),
              callOptions(opts),
              (err: unknown, res: unknown) => (err ? reject(errorFromStatus(err)) : resolve(res)),
            );
            bindSignal(call, opts?.signal);
          });
        break;
      case "server_streaming":
        client[name] = (req: MessageInitShape<DescMessage>, opts?: CallOptions) => {
          const call = fn(
            create(method.input, req),
            metaFor(opts),
            callOptions(opts),
          ) as grpc.ClientReadableStream<unknown>;
          bindSignal(call, opts?.signal);
          return readStream(call);
        };
        break;
      case "bidi_streaming":
        client[name] = (opts?: CallOptions) => {
          const call = fn(metaFor(opts), callOptions(opts));
          bindSignal(call, opts?.signal);
          return call;
        };
        break;
      default:
        throw new PhoenixError("INTERNAL", `${service.typeName}.${method.name}: unsupported method kind`);
    }
  }
  return client as ServiceClient<S>;
}
