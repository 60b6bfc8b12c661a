import {
  create,
  type DescMessage,
  type DescMethod,
  fromBinary,
  type MessageInitShape,
  type MessageShape,
  toBinary,
  toJson,
} from "@bufbuild/protobuf";
import type { MessageCodec, WireMethod } from "./codec";

/** A codec on protobuf-es's reflection: for a schema without a generated codec (tests' own services). */
export function reflectCodec<D extends DescMessage>(
  desc: D,
): MessageCodec<MessageShape<D>, MessageInitShape<D>> {
  return {
    typeName: desc.typeName,
    encode: (msg) => toBinary(desc, create(desc, msg)),
    toJson: (msg, opts) => toJson(desc, msg, { alwaysEmitImplicit: opts?.alwaysEmitImplicit ?? false }),
    decode: (bytes) => {
      try {
        return fromBinary(desc, bytes);
      } catch (err) {
        throw new Error(`cannot decode ${desc.typeName}: ${(err as Error).message}`);
      }
    },
  };
}

/** The WireMethod of a protobuf-es method descriptor, on reflectCodec. */
export function reflectMethod<M extends DescMethod>(
  method: M,
): WireMethod<
  MessageShape<M["input"]>,
  MessageShape<M["output"]>,
  MessageInitShape<M["input"]>,
  M["methodKind"]
> {
  return {
    path: `/${method.parent.typeName}/${method.name}`,
    kind: method.methodKind,
    input: reflectCodec(method.input) as MessageCodec<MessageShape<M["input"]>, MessageInitShape<M["input"]>>,
    output: reflectCodec(method.output) as MessageCodec<MessageShape<M["output"]>, unknown>,
  };
}
