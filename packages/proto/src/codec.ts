import type { JsonValue } from "@bufbuild/protobuf";
import { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";

/**
 * The binary and JSON forms of one message type, without descriptors: what a gRPC call needs to send and
 * receive it. The `_codec.ts` files beside the generated `_pb.ts` files hold one per message
 * (packages/proto/codegen).
 */
export interface MessageCodec<T, Init = T> {
  /** The message's full name, "phoenix.v1.DeployStackRequest". */
  readonly typeName: string;
  /** The message's bytes; fields left out of `msg` are at their zero value. */
  encode(msg: Init): Uint8Array;
  /** The message in these bytes; throws an Error that names the type on malformed input. */
  decode(bytes: Uint8Array): T;
  /** The message's proto3 JSON, as protobuf-es's toJson writes it (zero values too with alwaysEmitImplicit). */
  toJson(msg: T, opts?: { alwaysEmitImplicit?: boolean }): JsonValue;
}

/** The four kinds of gRPC method, as protobuf-es names them. */
export type MethodKind = "unary" | "server_streaming" | "client_streaming" | "bidi_streaming";

/** One gRPC method: its path, its kind and the codecs of its request and response. */
export interface WireMethod<In = unknown, Out = unknown, InInit = In, K extends MethodKind = MethodKind> {
  /** "/phoenix.v1.ClusterService/DeployStack" */
  readonly path: string;
  readonly kind: K;
  readonly input: MessageCodec<In, InInit>;
  readonly output: MessageCodec<Out, unknown>;
}

/** A codec from a generated message's writer, reader, zero value and JSON writer. */
export function messageCodec<T, Init>(
  typeName: string,
  write: (w: BinaryWriter, msg: Init) => BinaryWriter,
  read: (r: BinaryReader, len: number, msg: T) => T,
  zero: () => T,
  json: (msg: T, alwaysEmitImplicit: boolean) => JsonValue,
): MessageCodec<T, Init> {
  return {
    typeName,
    toJson: (msg, opts) => json(msg, opts?.alwaysEmitImplicit ?? false),
    encode: (msg) => write(new BinaryWriter(), msg).finish(),
    decode: (bytes) => {
      try {
        return read(new BinaryReader(bytes), bytes.length, zero());
      } catch (err) {
        const message = (err as Error).message;
        throw new Error(
          message.startsWith("cannot decode") ? message : `cannot decode ${typeName}: ${message}`,
        );
      }
    },
  };
}

/** A method of a generated service table. */
export function wireMethod<In, Out, InInit, K extends MethodKind>(
  path: string,
  kind: K,
  input: MessageCodec<In, InInit>,
  output: MessageCodec<Out, unknown>,
): WireMethod<In, Out, InInit, K> {
  return { path, kind, input, output };
}

/** A double or float in proto3 JSON: a number, or "NaN", "Infinity", "-Infinity". */
export function jsonNumber(v: number): JsonValue {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "Infinity";
  if (v === Number.NEGATIVE_INFINITY) return "-Infinity";
  return v;
}

/** Thrown by a generated reader for a known field that came with another wire type than its own. */
export function wrongWireType(typeName: string, field: number, wireType: number): never {
  throw new Error(`cannot decode ${typeName}: field ${field} has wire type ${wireType}, not its own`);
}

/** Thrown by a generated reader when a field ran past the end of its message. */
export function overrun(typeName: string): never {
  throw new Error(`cannot decode ${typeName}: a field runs past the end of the message`);
}
