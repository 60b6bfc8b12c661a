import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { ErrorCode, PhoenixError } from "@phoenix/errors";
import type { ServiceImpl } from "./grpc";

type AnyService = Omit<DescService, "method"> & { method: Record<string, DescMethod> };

/** For tests: handlers of a service that all fail (INTERNAL); a test sets those it calls. */
export function failingService<S extends AnyService>(service: S): ServiceImpl<S> {
  return Object.fromEntries(
    service.methods.map((m) => [
      m.localName,
      () => {
        throw new PhoenixError(ErrorCode.INTERNAL, `${m.name} is not used in this test`);
      },
    ]),
  ) as unknown as ServiceImpl<S>;
}
