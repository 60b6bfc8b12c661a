import type { MessageInitShape, PingCommand, PingResultSchema } from "@phoenix/proto";

/** Answers at once with the payload sent; used to measure fan-out, so it touches nothing. */
export function ping(cmd: PingCommand): MessageInitShape<typeof PingResultSchema> {
  return { payload: cmd.payload };
}
