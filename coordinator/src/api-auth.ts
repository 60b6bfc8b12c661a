import type { Metadata } from "@grpc/grpc-js";
import { ErrorCode, PhoenixError } from "@phoenix/errors";
import type { Secret } from "./secret";
import { tokenMatches } from "./token-match";

/** What a caller may do. */
export type Access = "full" | "read";

/** Decides what the caller of a ClusterService method may do from its `authorization: Bearer` metadata. */
export interface ApiAuth {
  /** Throws UNAUTHENTICATED (no or wrong token) or PERMISSION_DENIED (read-only token on a write). */
  check(metadata: Metadata, method: string, write: boolean): Access;
}

/** Builds the API token check; the read-only token is optional. */
export function createApiAuth(apiToken: Secret, readOnlyToken?: Secret): ApiAuth {
  return {
    check(metadata, method, write) {
      const header = metadata.get("authorization")[0];
      const value = typeof header === "string" ? header : header?.toString("utf8");
      if (!value) {
        throw new PhoenixError(
          ErrorCode.UNAUTHENTICATED,
          "no API token: send `authorization: Bearer <token>`",
        );
      }
      const m = /^Bearer\s+(\S+)\s*$/i.exec(value);
      if (!m)
        throw new PhoenixError(
          ErrorCode.UNAUTHENTICATED,
          "malformed authorization: expected `Bearer <token>`",
        );
      const token = m[1]!;
      // Compare against both so the time taken does not say which one it was.
      const full = tokenMatches(token, apiToken);
      const read = readOnlyToken ? tokenMatches(token, readOnlyToken) : false;
      if (full) return "full";
      if (!read) throw new PhoenixError(ErrorCode.UNAUTHENTICATED, "API token refused");
      if (write) {
        throw new PhoenixError(ErrorCode.PERMISSION_DENIED, `the read-only token may not call ${method}`);
      }
      return "read";
    },
  };
}
