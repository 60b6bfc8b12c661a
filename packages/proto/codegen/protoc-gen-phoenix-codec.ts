/**
 * protoc-gen-phoenix-codec: for each .proto file, a `<name>_codec.ts` beside protoc-gen-es's `<name>_pb.ts`
 * with a reflection-free codec (binary and JSON) of every message and a method table of every service.
 *
 * The codec reads and writes the same bytes as protobuf-es's toBinary/fromBinary, decodes to the same
 * message objects (the `_pb.ts` types, `$typeName` included) and writes the same proto3 JSON as toJson,
 * but it needs no descriptors at run time: a process that only calls a few methods (the CLI) loads neither
 * descriptor.proto nor the protocol's file descriptors. Message shapes and enums stay those of
 * protoc-gen-es; the codecs import only their types.
 *
 * Supports what the protocol uses, in proto3 files: scalars (implicit and explicit presence), enums,
 * messages, repeated strings, bytes and messages, map<string, scalar>, oneofs, and google.protobuf.Timestamp
 * and Duration (their codecs are in ../src/codec-wkt). Anything else fails the generation, naming the field.
 * ../src/codec.test.ts holds every generated codec to protobuf-es, field by field, on every message.
 */
import {
  type DescEnum,
  type DescField,
  type DescFile,
  type DescMessage,
  type DescService,
  ScalarType,
} from "@bufbuild/protobuf";
import {
  createEcmaScriptPlugin,
  type GeneratedFile,
  type ImportSymbol,
  type Printable,
  runNodeJs,
} from "@bufbuild/protoplugin";

/** Where the generated files import the hand-written codec runtime from (relative to the output root). */
const RUNTIME = "../codec";
const WKT = "../codec-wkt";

/** One line of generated code: text with import symbols in it, resolved when printed. */
type Line = Printable[];
const L = (text: TemplateStringsArray, ...values: Printable[]): Line =>
  text.flatMap((t, i) => (i < values.length ? [t, values[i]!] : [t]));
const indent = (lines: Line[], by = "  "): Line[] => lines.map((l) => [by, ...l]);

/** Well-known types the runtime carries its own reader and writer for. */
const WELL_KNOWN: Record<string, string> = {
  "google.protobuf.Timestamp": "Timestamp",
  "google.protobuf.Duration": "Duration",
};

const WIRE = { varint: 0, bit64: 1, delimited: 2, bit32: 5 } as const;

/** Wire type, BinaryWriter/Reader method and zero-value literal of each scalar type. */
function scalarInfo(t: ScalarType): { wire: number; method: string; zero: string } {
  switch (t) {
    case ScalarType.DOUBLE:
      return { wire: WIRE.bit64, method: "double", zero: "0" };
    case ScalarType.FLOAT:
      return { wire: WIRE.bit32, method: "float", zero: "0" };
    case ScalarType.INT64:
      return { wire: WIRE.varint, method: "int64", zero: "0n" };
    case ScalarType.UINT64:
      return { wire: WIRE.varint, method: "uint64", zero: "0n" };
    case ScalarType.INT32:
      return { wire: WIRE.varint, method: "int32", zero: "0" };
    case ScalarType.FIXED64:
      return { wire: WIRE.bit64, method: "fixed64", zero: "0n" };
    case ScalarType.FIXED32:
      return { wire: WIRE.bit32, method: "fixed32", zero: "0" };
    case ScalarType.BOOL:
      return { wire: WIRE.varint, method: "bool", zero: "false" };
    case ScalarType.STRING:
      return { wire: WIRE.delimited, method: "string", zero: '""' };
    case ScalarType.BYTES:
      return { wire: WIRE.delimited, method: "bytes", zero: "new Uint8Array(0)" };
    case ScalarType.UINT32:
      return { wire: WIRE.varint, method: "uint32", zero: "0" };
    case ScalarType.SFIXED32:
      return { wire: WIRE.bit32, method: "sfixed32", zero: "0" };
    case ScalarType.SFIXED64:
      return { wire: WIRE.bit64, method: "sfixed64", zero: "0n" };
    case ScalarType.SINT32:
      return { wire: WIRE.varint, method: "sint32", zero: "0" };
    case ScalarType.SINT64:
      return { wire: WIRE.varint, method: "sint64", zero: "0n" };
  }
}

const ENUM = { wire: WIRE.varint, method: "int32" };
const tag = (no: number, wire: number) => ((no << 3) | wire) >>> 0;

/** Names the generated functions of one message (writeX, readX, zeroX, jsonX, XCodec) and of one enum (jsonE). */
class Names {
  constructor(
    private readonly f: GeneratedFile,
    private readonly file: DescFile,
  ) {}

  /** The name protoc-gen-es gives the type: its path in the package, nested names joined by "_". */
  baseOf(t: DescMessage | DescEnum): string {
    return t.typeName.slice(t.file.proto.package.length + 1).replaceAll(".", "_");
  }

  /** prefix + type + suffix, imported from the codec file of the file that declares the type. */
  private ref(t: DescMessage | DescEnum, prefix: string, suffix = ""): ImportSymbol | string {
    const wkt = WELL_KNOWN[t.typeName];
    if (wkt) return this.f.import(`${prefix}${wkt}${suffix}`, WKT);
    const name = `${prefix}${this.baseOf(t)}${suffix}`;
    return t.file === this.file ? name : this.f.import(name, `./${t.file.name}_codec`);
  }

  json = (t: DescMessage | DescEnum) => this.ref(t, "json");
  write = (m: DescMessage) => this.ref(m, "write");
  read = (m: DescMessage) => this.ref(m, "read");
  zero = (m: DescMessage) => this.ref(m, "zero");
  codec = (m: DescMessage) => this.ref(m, "", "Codec");
  local = (m: DescMessage, prefix: string, suffix = "") => `${prefix}${this.baseOf(m)}${suffix}`;
}

function unsupported(field: DescField, what: string): never {
  throw new Error(
    `protoc-gen-phoenix-codec: ${field.parent.typeName}.${field.name}: ${what} is not supported`,
  );
}

function checkMessage(m: DescMessage): void {
  if (m.file.edition !== 999 /* proto3 */) {
    throw new Error(`protoc-gen-phoenix-codec: ${m.file.name}: only proto3 files are supported`);
  }
  for (const field of m.fields) {
    if (field.fieldKind === "scalar" && field.longAsString) unsupported(field, "jstype = JS_STRING");
    if ("delimitedEncoding" in field && field.delimitedEncoding) {
      unsupported(field, "delimited (group) encoding");
    }
    if (field.jsonName === "__proto__" || field.localName === "__proto__")
      unsupported(field, "the name __proto__");
    // What the protocol does not use is left out rather than generated untested.
    if (field.fieldKind === "list" && wireOf(field) !== WIRE.delimited)
      unsupported(field, "a repeated number or enum");
    if (field.fieldKind === "map" && (field.mapKey !== ScalarType.STRING || field.mapKind !== "scalar")) {
      unsupported(field, "a map other than map<string, scalar>");
    }
  }
}

/** Every message of a file, nested ones included, map entries excluded. */
function messagesOf(file: DescFile): DescMessage[] {
  const out: DescMessage[] = [];
  const walk = (list: readonly DescMessage[]) => {
    for (const m of list) {
      if (m.proto.options?.mapEntry) continue;
      out.push(m);
      walk(m.nestedMessages);
    }
  };
  walk(file.messages);
  return out;
}

function generateZero(f: GeneratedFile, n: Names, m: DescMessage): void {
  const shape = f.importShape(m);
  const props: string[] = [`$typeName: "${m.typeName}"`];
  for (const member of m.members) {
    if (member.kind === "oneof") {
      props.push(`${member.localName}: { case: undefined }`);
      continue;
    }
    switch (member.fieldKind) {
      case "list":
        props.push(`${member.localName}: []`);
        break;
      case "map":
        props.push(`${member.localName}: {}`);
        break;
      case "scalar":
        if (member.presence === 2 /* IMPLICIT */) {
          props.push(`${member.localName}: ${scalarInfo(member.scalar).zero}`);
        }
        break;
      case "enum":
        if (member.presence === 2) props.push(`${member.localName}: ${member.enum.values[0]!.number}`);
        break;
      case "message": // absent until set
        break;
    }
  }
  f.print`/** A ${m.typeName} with every field at its zero value, as protobuf-es's create() makes it. */`;
  f.print`export function ${n.local(m, "zero")}(): ${shape} {`;
  f.print`  return { ${props.join(", ")} };`;
  f.print`}`;
  f.print();
}

/** Statements writing one value `v` of a singular field (tag included). */
function writeValue(n: Names, field: DescField, v: string): Line[] {
  switch (field.fieldKind) {
    case "scalar": {
      const s = scalarInfo(field.scalar);
      return [L`w.uint32(${tag(field.number, s.wire)}).${s.method}(${v});`];
    }
    case "enum":
      return [L`w.uint32(${tag(field.number, ENUM.wire)}).${ENUM.method}(${v});`];
    case "message":
      return [
        L`w.uint32(${tag(field.number, WIRE.delimited)}).fork();`,
        L`${n.write(field.message)}(w, ${v});`,
        L`w.join();`,
      ];
    default:
      return unsupported(field, "this field kind");
  }
}

function writeField(n: Names, field: DescField): Line[] {
  const name = field.localName;
  if (field.oneof) {
    const o = `m.${field.oneof.localName}`;
    return [L`if (${o}?.case === "${name}") {`, ...indent(writeValue(n, field, `${o}.value`)), L`}`];
  }
  const v = `m.${name}`;
  switch (field.fieldKind) {
    case "scalar":
    case "enum": {
      // An init shape may leave the field out.
      const cond =
        field.presence !== 2 ? `${v} !== undefined` : `${v} !== undefined && ${isNonZero(field, v)}`;
      return [L`if (${cond}) {`, ...indent(writeValue(n, field, v)), L`}`];
    }
    case "message":
      return [L`if (${v} !== undefined) {`, ...indent(writeValue(n, field, v)), L`}`];
    case "list": {
      if (field.listKind === "message") {
        return [
          L`for (const x of ${v} ?? []) {`,
          L`  w.uint32(${tag(field.number, WIRE.delimited)}).fork();`,
          L`  ${n.write(field.message)}(w, x);`,
          L`  w.join();`,
          L`}`,
        ];
      }
      const s = scalarInfo(field.scalar!); // string or bytes (checkMessage)
      return [L`for (const x of ${v} ?? []) w.uint32(${tag(field.number, s.wire)}).${s.method}(x);`];
    }
    case "map": {
      const val = scalarInfo(field.scalar!); // map<string, scalar> (checkMessage)
      return [
        L`if (${v} !== undefined) {`,
        L`  for (const k of Object.keys(${v})) {`,
        L`    w.uint32(${tag(field.number, WIRE.delimited)}).fork();`,
        L`    w.uint32(${tag(1, WIRE.delimited)}).string(k);`,
        L`    w.uint32(${tag(2, val.wire)}).${val.method}(${v}[k]!);`,
        L`    w.join();`,
        L`  }`,
        L`}`,
      ];
    }
  }
}

function generateWrite(f: GeneratedFile, n: Names, m: DescMessage): void {
  const schema = f.importSchema(m, true);
  const init = f.import("MessageInitShape", "@bufbuild/protobuf", true);
  const writer = f.import("BinaryWriter", "@bufbuild/protobuf/wire", true);
  const sorted = m.fields.concat().sort((a, b) => a.number - b.number);
  f.print`/** Writes a ${m.typeName} as toBinary(${schema}, create(${schema}, m)) would, into w. */`;
  f.print`export function ${n.local(m, "write")}(w: ${writer}, m: ${init}<typeof ${schema}>): ${writer} {`;
  for (const line of indent(sorted.flatMap((field) => writeField(n, field)))) f.print(...line);
  f.print`  return w;`;
  f.print`}`;
  f.print();
}

/** The wire type of one value of a singular or repeated scalar, enum or message field. */
function wireOf(field: DescField): number {
  const kind = field.fieldKind === "list" ? field.listKind : field.fieldKind;
  if (kind === "enum") return ENUM.wire;
  if (kind === "message") return WIRE.delimited;
  return scalarInfo(field.scalar!).wire;
}

function readField(f: GeneratedFile, n: Names, m: DescMessage, field: DescField): Line[] {
  const wrong = f.import("wrongWireType", RUNTIME);
  const expect = (wire: number) => L`if (t !== ${wire}) ${wrong}("${m.typeName}", ${field.number}, t);`;
  const method = (kind: string | undefined) =>
    kind === "enum" ? ENUM.method : scalarInfo(field.scalar!).method;
  // A 64-bit integer reads as bigint (or a string where BigInt is missing, which Node never is).
  const cast = field.scalar !== undefined && scalarInfo(field.scalar).zero.endsWith("n") ? " as bigint" : "";
  if (field.oneof) {
    const o = `m.${field.oneof.localName}`;
    const name = field.localName;
    if (field.fieldKind === "message") {
      return [
        expect(WIRE.delimited),
        L`const prev = ${o}.case === "${name}" ? ${o}.value : undefined;`,
        L`${o} = { case: "${name}", value: ${n.read(field.message)}(r, r.uint32(), prev ?? ${n.zero(field.message)}()) };`,
      ];
    }
    return [
      expect(wireOf(field)),
      L`${o} = { case: "${name}", value: r.${method(field.fieldKind)}()${cast} };`,
    ];
  }
  const v = `m.${field.localName}`;
  switch (field.fieldKind) {
    case "scalar":
    case "enum":
      return [expect(wireOf(field)), L`${v} = r.${method(field.fieldKind)}()${cast};`];
    case "message":
      return [
        expect(WIRE.delimited),
        L`${v} = ${n.read(field.message)}(r, r.uint32(), ${v} ?? ${n.zero(field.message)}());`,
      ];
    case "list":
      if (field.listKind === "message") {
        return [
          expect(WIRE.delimited),
          L`${v}.push(${n.read(field.message)}(r, r.uint32(), ${n.zero(field.message)}()));`,
        ];
      }
      return [expect(WIRE.delimited), L`${v}.push(r.${method(field.listKind)}());`];
    case "map": {
      const val = scalarInfo(field.scalar!);
      return [
        expect(WIRE.delimited),
        L`const end = r.uint32() + r.pos;`,
        L`let k = "";`,
        L`let value = ${val.zero};`,
        L`while (r.pos < end) {`,
        L`  const [kn, kt] = r.tag();`,
        L`  if (kn === 1 && kt === ${WIRE.delimited}) k = r.string();`,
        L`  else if (kn === 2 && kt === ${val.wire}) value = r.${val.method}()${val.zero.endsWith("n") ? " as bigint" : ""};`,
        L`  else if (kn === 1 || kn === 2) ${wrong}("${m.typeName}", ${field.number}, kt);`,
        L`  else r.skip(kt, kn);`,
        L`}`,
        L`${v}[k] = value;`,
      ];
    }
  }
}

function generateRead(f: GeneratedFile, n: Names, m: DescMessage): void {
  const shape = f.importShape(m);
  const reader = f.import("BinaryReader", "@bufbuild/protobuf/wire", true);
  f.print`/**`;
  f.print` * Reads a ${m.typeName} of \`len\` bytes at r's position into m (a zero message unless merging), as`;
  f.print` * fromBinary does; unknown fields are skipped.`;
  f.print` */`;
  f.print`export function ${n.local(m, "read")}(r: ${reader}, len: number, m: ${shape}): ${shape} {`;
  f.print`  const end = r.pos + len;`;
  f.print`  while (r.pos < end) {`;
  f.print`    const [no, t] = r.tag();`;
  if (m.fields.length > 0) {
    f.print`    switch (no) {`;
    for (const field of m.fields) {
      f.print`      case ${field.number}: {`;
      for (const line of indent(readField(f, n, m, field), "        ")) f.print(...line);
      f.print`        break;`;
      f.print`      }`;
    }
    f.print`      default:`;
    f.print`        r.skip(t, no);`;
    f.print`    }`;
  } else {
    f.print`    r.skip(t, no);`;
  }
  f.print`  }`;
  f.print`  if (r.pos !== end) ${f.import("overrun", RUNTIME)}("${m.typeName}");`;
  f.print`  return m;`;
  f.print`}`;
  f.print();
}

/** The JSON value of one value `x` of a field (a list item or map value for those), as toJson writes it. */
function jsonValue(f: GeneratedFile, n: Names, field: DescField, x: string): Line {
  const kind =
    field.fieldKind === "list" ? field.listKind : field.fieldKind === "map" ? field.mapKind : field.fieldKind;
  if (kind === "message") {
    return WELL_KNOWN[field.message!.typeName]
      ? L`${n.json(field.message!)}(${x})`
      : L`${n.json(field.message!)}(${x}, a)`;
  }
  if (kind === "enum") return L`${n.json(field.enum!)}(${x})`;
  switch (field.scalar!) {
    case ScalarType.BYTES:
      return L`${f.import("base64Encode", "@bufbuild/protobuf/wire")}(${x})`;
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return L`${f.import("jsonNumber", RUNTIME)}(${x})`;
    default:
      return scalarInfo(field.scalar!).zero.endsWith("n") ? L`${x}.toString()` : L`${x}`;
  }
}

/**
 * The condition under which toBinary and toJson write an implicit-presence scalar or enum `v`: it is not
 * its zero value (a 64-bit integer may come as bigint, number or string in an init shape).
 */
function isNonZero(field: DescField, v: string): string {
  if (field.fieldKind === "enum") return `${v} !== ${field.enum.values[0]!.number}`;
  switch (field.scalar!) {
    case ScalarType.STRING:
      return `${v} !== ""`;
    case ScalarType.BOOL:
      return v;
    case ScalarType.BYTES:
      return `${v}.length > 0`;
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return `!Object.is(${v}, 0)`;
    default:
      return scalarInfo(field.scalar!).zero.endsWith("n") ? `BigInt(${v}) !== 0n` : `${v} !== 0`;
  }
}

function jsonField(f: GeneratedFile, n: Names, field: DescField): Line[] {
  const key = `j[${JSON.stringify(field.jsonName)}]`;
  if (field.oneof) {
    const o = `m.${field.oneof.localName}`;
    return [L`if (${o}.case === "${field.localName}") ${key} = ${jsonValue(f, n, field, `${o}.value`)};`];
  }
  const v = `m.${field.localName}`;
  switch (field.fieldKind) {
    case "list":
      return [L`if (a || ${v}.length > 0) ${key} = ${v}.map((x) => ${jsonValue(f, n, field, "x")});`];
    case "map":
      return [
        L`if (a || Object.keys(${v}).length > 0) {`,
        L`  ${key} = Object.fromEntries(Object.entries(${v}).map(([k, x]) => [k, ${jsonValue(f, n, field, "x")}]));`,
        L`}`,
      ];
    case "message":
      return [L`if (${v} !== undefined) ${key} = ${jsonValue(f, n, field, v)};`];
    default:
      if (field.presence !== 2) return [L`if (${v} !== undefined) ${key} = ${jsonValue(f, n, field, v)};`];
      return [L`if (a || ${isNonZero(field, v)}) ${key} = ${jsonValue(f, n, field, v)};`];
  }
}

function generateJson(f: GeneratedFile, n: Names, m: DescMessage): void {
  const shape = f.importShape(m);
  const object = f.import("JsonObject", "@bufbuild/protobuf", true);
  const sorted = m.fields.concat().sort((a, b) => a.number - b.number);
  f.print`/**`;
  f.print` * The proto3 JSON of a ${m.typeName}, as toJson(${f.importSchema(m, true)}, m, { alwaysEmitImplicit: a })`;
  f.print` * writes it.`;
  f.print` */`;
  f.print`export function ${n.local(m, "json")}(m: ${shape}, a = false): ${object} {`;
  f.print`  const j: ${object} = {};`;
  for (const line of indent(sorted.flatMap((field) => jsonField(f, n, field)))) f.print(...line);
  f.print`  return j;`;
  f.print`}`;
  f.print();
}

function generateEnumJson(f: GeneratedFile, n: Names, e: DescEnum): void {
  const value = f.import("JsonValue", "@bufbuild/protobuf", true);
  f.print`/** The proto3 JSON of a ${e.typeName} value: its name, or the number of a value this file does not know. */`;
  f.print`export function json${n.baseOf(e)}(v: number): ${value} {`;
  f.print`  switch (v) {`;
  for (const v of e.values) {
    f.print`    case ${v.number}:`;
    f.print`      return ${JSON.stringify(v.jsonName)};`;
  }
  f.print`    default:`;
  f.print`      return v;`;
  f.print`  }`;
  f.print`}`;
  f.print();
}

/** Every enum of a file, nested ones included. */
function enumsOf(file: DescFile): DescEnum[] {
  const out: DescEnum[] = [...file.enums];
  const walk = (list: readonly DescMessage[]) => {
    for (const m of list) {
      out.push(...m.nestedEnums);
      walk(m.nestedMessages);
    }
  };
  walk(file.messages);
  return out;
}

function generateCodec(f: GeneratedFile, n: Names, m: DescMessage): void {
  const codec = f.import("messageCodec", RUNTIME);
  const codecType = f.import("MessageCodec", RUNTIME, true);
  const shape = f.importShape(m);
  const schema = f.importSchema(m, true);
  const init = f.import("MessageInitShape", "@bufbuild/protobuf", true);
  f.print`/** Encodes and decodes ${m.typeName} without descriptors. */`;
  f.print`export const ${n.local(m, "", "Codec")}: ${codecType}<${shape}, ${init}<typeof ${schema}>> = /*@__PURE__*/ ${codec}(`;
  f.print`  "${m.typeName}",`;
  f.print`  ${n.local(m, "write")},`;
  f.print`  ${n.local(m, "read")},`;
  f.print`  ${n.local(m, "zero")},`;
  f.print`  ${n.local(m, "json")},`;
  f.print`);`;
  f.print();
}

function generateService(f: GeneratedFile, n: Names, s: DescService): void {
  const method = f.import("wireMethod", RUNTIME);
  f.print`/** The methods of ${s.typeName}, each with its path, kind and codecs, keyed by local name. */`;
  f.print`export const ${s.name}Codec = {`;
  for (const m of s.methods) {
    f.print`  ${m.localName}: /*@__PURE__*/ ${method}("/${s.typeName}/${m.name}", "${m.methodKind}", ${n.codec(m.input)}, ${n.codec(m.output)}),`;
  }
  f.print`} as const;`;
  f.print();
}

export const protocGenPhoenixCodec = createEcmaScriptPlugin({
  name: "protoc-gen-phoenix-codec",
  version: "v1",
  generateTs(schema) {
    for (const file of schema.files) {
      const f = schema.generateFile(`${file.name}_codec.ts`);
      f.preamble(file);
      const n = new Names(f, file);
      const messages = messagesOf(file);
      for (const m of messages) checkMessage(m);
      for (const m of messages) {
        generateZero(f, n, m);
        generateWrite(f, n, m);
        generateRead(f, n, m);
        generateJson(f, n, m);
        generateCodec(f, n, m);
      }
      for (const e of enumsOf(file)) generateEnumJson(f, n, e);
      for (const s of file.services) generateService(f, n, s);
    }
  },
});

runNodeJs(protocGenPhoenixCodec);
