import { parseModel } from "@phoenix/model";
import { describe, expect, it } from "vitest";
import { emptyModel, listeningAddress } from "./coordinator-files";

describe("listeningAddress", () => {
  it.each<[string, string | undefined]>([
    ['{"level":30,"msg":"coordinator listening","grpc":"127.0.0.1:40123","tls":false}', "127.0.0.1:40123"],
    ['{"level":30,"msg":"agent connected","grpc":"127.0.0.1:1"}', undefined],
    ["not json", undefined],
  ])("%s", (line, want) => expect(listeningAddress(line)).toBe(want));
});

describe("emptyModel", () => {
  it("is a valid model without guests", () => {
    const r = parseModel(emptyModel("bench"));
    expect(r.ok && r.model.guests).toEqual([]);
  });
});
