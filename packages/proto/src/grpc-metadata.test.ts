import { ErrorCode, PhoenixError } from "@phoenix/errors";
import { describe, expect, it } from "vitest";
import { metadataFields } from "./grpc-metadata";

describe("metadataFields", () => {
  it("keeps valid metadata as header fields, in order", () => {
    expect(
      metadataFields({
        authorization: "Bearer abc.DEF-123_~",
        "grpc-timeout": "30000m",
        "x-request-id": "",
        "trace.ctx_1": "a b",
        "trace-bin": "AAEC/w==",
      }),
    ).toEqual([
      ["authorization", "Bearer abc.DEF-123_~"],
      ["grpc-timeout", "30000m"],
      ["x-request-id", ""],
      ["trace.ctx_1", "a b"],
      ["trace-bin", "AAEC/w=="],
    ]);
  });

  it.each([
    ["", "x", 'metadata "": a header name cannot be empty'],
    [":path", "/x", 'metadata ":path": pseudo-headers are the gRPC call\'s own'],
    [":authority", "evil", 'metadata ":authority": pseudo-headers are the gRPC call\'s own'],
    ["Authorization", "x", 'metadata "Authorization": header names are lower case'],
    ["x-Trace", "x", 'metadata "x-Trace": header names are lower case'],
    ["x trace", "x", 'metadata "x trace": a header name holds only a-z, 0-9, "-", "_" and "."'],
    ["x\r\nevil", "x", 'metadata "x\\r\\nevil": a header name holds only a-z, 0-9, "-", "_" and "."'],
    ["x:y", "x", 'metadata "x:y": a header name holds only a-z, 0-9, "-", "_" and "."'],
    ["te", "gzip", 'metadata "te": set by the gRPC call itself'],
    ["content-type", "text/plain", 'metadata "content-type": set by the gRPC call itself'],
    ["user-agent", "x", 'metadata "user-agent": set by the gRPC call itself'],
    [
      "grpc-encoding",
      "gzip",
      'metadata "grpc-encoding": set by the gRPC call itself (messages are not compressed)',
    ],
    ["connection", "close", 'metadata "connection": connection-specific, not allowed in HTTP/2'],
    [
      "transfer-encoding",
      "chunked",
      'metadata "transfer-encoding": connection-specific, not allowed in HTTP/2',
    ],
    ["host", "example", 'metadata "host": not allowed in HTTP/2 (the call sends :authority)'],
    ["x-note", "a\rb", 'metadata "x-note": the value holds a line break (CR or LF)'],
    ["x-note", "a\nb", 'metadata "x-note": the value holds a line break (CR or LF)'],
    ["x-note", "tab\there", 'metadata "x-note": the value holds a character outside printable ASCII'],
    ["x-note", "nul\0", 'metadata "x-note": the value holds a character outside printable ASCII'],
    ["x-note", "café", 'metadata "x-note": the value holds a character outside printable ASCII'],
    ["trace-bin", "not base64!", 'metadata "trace-bin": the value of a -bin header is base64'],
    ["trace-bin", "AA\r\n", 'metadata "trace-bin": the value holds a line break (CR or LF)'],
    [
      "grpc-timeout",
      "100",
      'metadata "grpc-timeout": not a gRPC timeout (up to 8 digits and one of H, M, S, m, u, n)',
    ],
    [
      "grpc-timeout",
      "123456789m",
      'metadata "grpc-timeout": not a gRPC timeout (up to 8 digits and one of H, M, S, m, u, n)',
    ],
  ])("refuses %j = %j: %s", (name, value, message) => {
    let err: unknown;
    try {
      metadataFields({ "x-ok": "1", [name]: value });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PhoenixError);
    expect(err).toMatchObject({ code: ErrorCode.INVALID_ARGUMENT, message });
  });

  it("never repeats a value in its error: a token with a stray line break stays secret", () => {
    expect(() => metadataFields({ authorization: "Bearer s3cr3t-t0ken\r\n" })).toThrow(
      'metadata "authorization": the value holds a line break (CR or LF)',
    );
    try {
      metadataFields({ authorization: "Bearer s3cr3t-t0ken\r\n" });
    } catch (err) {
      expect(String((err as Error).message)).not.toContain("s3cr3t");
    }
  });
});
