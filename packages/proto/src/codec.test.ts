import {
  create,
  type DescField,
  type DescMessage,
  fromBinary,
  ScalarType,
  toBinary,
  toJson,
} from "@bufbuild/protobuf";
import { nestedTypes } from "@bufbuild/protobuf/reflect";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import * as wkt from "@bufbuild/protobuf/wkt";
import { DurationSchema, file_google_protobuf_timestamp, TimestampSchema } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import type { MessageCodec } from "./codec";
import * as ours from "./codec-wkt";
import { DurationCodec, TimestampCodec } from "./codec-wkt";
import * as agentCodec from "./gen/phoenix/v1/agent_codec";
import { file_phoenix_v1_agent } from "./gen/phoenix/v1/agent_pb";
import * as clusterCodec from "./gen/phoenix/v1/cluster_codec";
import { ClusterService, file_phoenix_v1_cluster } from "./gen/phoenix/v1/cluster_pb";
import * as eventsCodec from "./gen/phoenix/v1/events_codec";
import { file_phoenix_v1_events } from "./gen/phoenix/v1/events_pb";
import * as inventoryCodec from "./gen/phoenix/v1/inventory_codec";
import { file_phoenix_v1_inventory } from "./gen/phoenix/v1/inventory_pb";
import * as stackCodec from "./gen/phoenix/v1/stack_codec";
import { file_phoenix_v1_stack } from "./gen/phoenix/v1/stack_pb";
import * as swarmCodec from "./gen/phoenix/v1/swarm_codec";
import { file_phoenix_v1_swarm } from "./gen/phoenix/v1/swarm_pb";

// Every generated codec against protobuf-es's reflection on the same schema: the same bytes out, the same
// message objects in.

type AnyCodec = MessageCodec<unknown, unknown>;
const isCodec = (v: unknown): v is AnyCodec =>
  typeof v === "object" && v !== null && "typeName" in v && "decode" in v && "encode" in v;

const codecs = new Map<string, AnyCodec>();
for (const mod of [agentCodec, clusterCodec, eventsCodec, inventoryCodec, stackCodec, swarmCodec]) {
  for (const v of Object.values(mod)) if (isCodec(v)) codecs.set(v.typeName, v);
}
codecs.set(TimestampSchema.typeName, TimestampCodec as AnyCodec);
codecs.set(DurationSchema.typeName, DurationCodec as AnyCodec);

const files = [
  file_phoenix_v1_agent,
  file_phoenix_v1_cluster,
  file_phoenix_v1_events,
  file_phoenix_v1_inventory,
  file_phoenix_v1_stack,
  file_phoenix_v1_swarm,
];
const schemas: DescMessage[] = [TimestampSchema, DurationSchema];
for (const file of files) {
  for (const t of nestedTypes(file)) {
    if (t.kind === "message" && !t.proto.options?.mapEntry) schemas.push(t);
  }
}

/** A value for one scalar type that is never its zero value; `n` varies it. */
function scalar(t: ScalarType, n: number): unknown {
  switch (t) {
    case ScalarType.STRING:
      return `s${n}-ü€😀`;
    case ScalarType.BYTES:
      return new Uint8Array([n, 0, 255]);
    case ScalarType.BOOL:
      return true;
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return n + 0.5;
    case ScalarType.INT64:
    case ScalarType.UINT64:
    case ScalarType.SINT64:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return 2n ** 53n + BigInt(n); // past Number's exact range
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return -n - 1;
    default:
      return 2 ** 31 + n; // uint32 past int32
  }
}

/**
 * A message with every field set (oneofs to their `pick`-th case), nested messages `depth` levels deep:
 * every field the codec reads or writes is exercised.
 */
function sample(desc: DescMessage, pick: number, depth: number): Record<string, unknown> {
  const init: Record<string, unknown> = {};
  const value = (f: DescField, n: number): unknown => {
    if (f.message?.typeName === TimestampSchema.typeName || f.message?.typeName === DurationSchema.typeName) {
      return { seconds: 1_764_950_400n + BigInt(n), nanos: n * 1_000_000 + (n % 2) * 500 };
    }
    if (f.fieldKind === "message" || (f.fieldKind === "list" && f.listKind === "message")) {
      return depth > 0 ? sample(f.message!, pick, depth - 1) : {};
    }
    if (f.fieldKind === "enum" || (f.fieldKind === "list" && f.listKind === "enum")) {
      return f.enum!.values.at(-1)!.number;
    }
    return scalar(f.scalar!, n);
  };
  for (const member of desc.members) {
    if (member.kind === "oneof") {
      const f = member.fields[pick % member.fields.length]!;
      init[member.localName] = { case: f.localName, value: value(f, f.number) };
      continue;
    }
    const f = member;
    if (f.fieldKind === "list") init[f.localName] = [value(f, 1), value(f, 2)];
    else if (f.fieldKind === "map") init[f.localName] = { a: scalar(f.scalar!, 1), "": scalar(f.scalar!, 2) };
    else init[f.localName] = value(f, f.number);
  }
  return init;
}

const picks = (desc: DescMessage) => Math.max(1, ...desc.oneofs.map((o) => o.fields.length));

describe("generated codecs", () => {
  it("cover every message of the protocol files, and nothing else", () => {
    expect([...codecs.keys()].sort()).toEqual(schemas.map((s) => s.typeName).sort());
  });

  describe.each(schemas.map((s) => [s.typeName, s] as const))("%s", (_name, desc) => {
    const codec = codecs.get(desc.typeName)!;

    it("decodes no bytes to the message create() makes, and encodes that to no bytes", () => {
      expect(codec.decode(new Uint8Array(0))).toStrictEqual(create(desc));
      expect(codec.encode(create(desc))).toEqual(new Uint8Array(0));
      expect(codec.encode({})).toEqual(new Uint8Array(0));
    });

    it("writes the bytes toBinary writes and reads them back as fromBinary does, every oneof case", () => {
      for (let pick = 0; pick < picks(desc); pick++) {
        const msg = create(desc, sample(desc, pick, 2) as never);
        const bytes = toBinary(desc, msg);
        expect(bytes.length > 0).toBe(desc.fields.length > 0);
        expect(codec.encode(msg)).toEqual(bytes);
        expect(codec.encode(sample(desc, pick, 2))).toEqual(bytes); // an init shape, as create() takes
        expect(codec.decode(bytes)).toStrictEqual(fromBinary(desc, bytes));
      }
    });

    it("writes the JSON toJson writes, key order included, with and without alwaysEmitImplicit", () => {
      const json = (msg: never, alwaysEmitImplicit: boolean) => ({
        ours: JSON.stringify(codec.toJson(msg, { alwaysEmitImplicit })),
        theirs: JSON.stringify(toJson(desc, msg, { alwaysEmitImplicit })),
      });
      for (const alwaysEmitImplicit of [false, true]) {
        const zero = json(create(desc) as never, alwaysEmitImplicit);
        expect(zero.ours).toBe(zero.theirs);
        // Timestamp and Duration alone are below, with values their JSON form accepts; as fields, sample()
        // gives them such values.
        if (desc.typeName.startsWith("google.protobuf.")) continue;
        for (let pick = 0; pick < picks(desc); pick++) {
          const msg = codec.decode(toBinary(desc, create(desc, sample(desc, pick, 2) as never)));
          const full = json(msg as never, alwaysEmitImplicit);
          expect(full.ours).toBe(full.theirs);
        }
      }
    });

    it("merges a repeated occurrence as fromBinary does, and skips unknown fields", () => {
      const a = toBinary(desc, create(desc, sample(desc, 0, 2) as never));
      const b = toBinary(desc, create(desc, sample(desc, 1, 1) as never));
      const unknown = new BinaryWriter().tag(1999, WireType.LengthDelimited).string("later").finish();
      const both = new Uint8Array([...a, ...unknown, ...b]);
      expect(codec.decode(both)).toStrictEqual(fromBinary(desc, both, { readUnknownFields: false }));
    });
  });

  it("name the type and the field of malformed input", () => {
    const bytes = toBinary(
      ClusterService.method.deployStack.output,
      create(ClusterService.method.deployStack.output, { msg: { case: "progress", value: "creating" } }),
    );
    const decode = clusterCodec.DeployStackResponseCodec.decode;
    expect(() => decode(bytes.subarray(0, bytes.length - 2))).toThrow(
      /^cannot decode phoenix\.v1\.DeployStackResponse: /,
    );
    const wrongType = new BinaryWriter().tag(1, WireType.Varint).uint32(7).finish();
    expect(() => decode(wrongType)).toThrow(
      "cannot decode phoenix.v1.DeployStackResponse: field 1 has wire type 0, not its own",
    );
    // A nested message whose length runs past its end.
    const inner = new BinaryWriter().tag(2, WireType.LengthDelimited).fork().tag(1, WireType.Varint);
    expect(() => decode(inner.uint32(1).join().finish().subarray(0, 3))).toThrow(/cannot decode/);
  });

  it("have a method table per service with the paths and kinds of the descriptors", () => {
    const table = clusterCodec.ClusterServiceCodec as Record<string, { path: string; kind: string }>;
    expect(Object.keys(table).sort()).toEqual(ClusterService.methods.map((m) => m.localName).sort());
    for (const m of ClusterService.methods) {
      expect(table[m.localName]).toMatchObject({
        path: `/${ClusterService.typeName}/${m.name}`,
        kind: m.methodKind,
        input: codecs.get(m.input.typeName),
        output: codecs.get(m.output.typeName),
      });
    }
  });

  it("use the Timestamp of the well-known types file", () => {
    expect(TimestampCodec.typeName).toBe(file_google_protobuf_timestamp.messages[0]!.typeName);
  });

  it.each([
    [0n, 0],
    [1_764_950_400n, 1],
    [1_764_950_400n, 250_000_000],
    [1_764_950_400n, 250_500_000],
    [-62_135_596_800n, 0], // 0001-01-01
    [253_402_300_799n, 999_999_999], // 9999-12-31
  ])("write a Timestamp of %s s and %s ns as toJson does", (seconds, nanos) => {
    const t = create(TimestampSchema, { seconds, nanos });
    expect(TimestampCodec.toJson(t)).toBe(toJson(TimestampSchema, t));
  });

  it.each([
    [0n, 0],
    [3n, 0],
    [-3n, -500_000_000],
    [0n, -1_000],
    [1n, 123_456_789],
  ])("write a Duration of %s s and %s ns as toJson does", (seconds, nanos) => {
    const d = create(DurationSchema, { seconds, nanos });
    expect(DurationCodec.toJson(d)).toBe(toJson(DurationSchema, d));
  });

  it.each([
    ["a Timestamp before year 1", TimestampCodec, create(TimestampSchema, { seconds: -62_135_596_801n })],
    ["a Timestamp with negative nanos", TimestampCodec, create(TimestampSchema, { nanos: -1 })],
    ["a Duration with mixed signs", DurationCodec, create(DurationSchema, { seconds: 1n, nanos: -1 })],
  ])("refuse %s, as toJson does", (_what, codec, msg) => {
    expect(() => (codec as AnyCodec).toJson(msg)).toThrow(/^cannot encode google\.protobuf\./);
    expect(() => toJson(codec === TimestampCodec ? TimestampSchema : DurationSchema, msg as never)).toThrow();
  });

  it("write doubles and enum values the way toJson does, unknown enum numbers as numbers", () => {
    const desc = ClusterService.method.getNode.output;
    for (const [cpu, state] of [
      [Number.NaN, 99],
      [Number.POSITIVE_INFINITY, 1],
      [Number.NEGATIVE_INFINITY, 0],
      [-0, 2],
    ] as const) {
      const init = { node: { hostname: "h", inventory: { cpu: { mhz: cpu } }, role: state } };
      const msg = create(desc, init as never);
      const codec = codecs.get(desc.typeName)!;
      expect(JSON.stringify(codec.toJson(msg))).toBe(JSON.stringify(toJson(desc, msg)));
    }
  });

  it.each([0, 1, 999, 1_764_950_400_123, -1, -1_500, 253_402_300_799_999])(
    "convert %s ms to and from Timestamp and Duration as @bufbuild/protobuf/wkt does",
    (ms) => {
      expect(ours.timestampFromMs(ms)).toStrictEqual(wkt.timestampFromMs(ms));
      expect(ours.timestampFromDate(new Date(ms))).toStrictEqual(wkt.timestampFromDate(new Date(ms)));
      expect(ours.timestampMs(wkt.timestampFromMs(ms))).toBe(wkt.timestampMs(wkt.timestampFromMs(ms)));
      expect(ours.timestampDate(wkt.timestampFromMs(ms))).toEqual(wkt.timestampDate(wkt.timestampFromMs(ms)));
      expect(ours.durationFromMs(ms)).toStrictEqual(wkt.durationFromMs(ms));
      expect(ours.durationMs(wkt.durationFromMs(ms))).toBe(wkt.durationMs(wkt.durationFromMs(ms)));
    },
  );
});
