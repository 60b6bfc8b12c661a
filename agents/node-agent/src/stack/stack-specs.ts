import { ErrorCode, PhoenixError } from "@phoenix/errors";
import * as z from "zod/mini";
import { isSharedNetwork, NAMESPACE_LABEL } from "./labels";

// The parts of the Engine API shapes the applier reads; every other field is passed to Docker
// untouched, so the schemas are loose on purpose. zod/mini keeps the agent small; it has no
// built-in messages, so each schema says its own.
const missingOr = (what: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? "is required" : `must be ${what}`;
const text = z.string({ error: missingOr("a string") });
const name = z.string({ error: missingOr("a string") }).check(z.minLength(1, { error: "must not be empty" }));
const number = z.number({ error: missingOr("a number") });
const object = <S extends z.core.$ZodLooseShape>(shape: S) =>
  z.looseObject(shape, { error: missingOr("an object") });
const list = <T extends z.core.SomeType>(item: T) => z.array(item, { error: missingOr("a list") });
const labels = z.record(z.string({ error: "must be a string" }), z.string({ error: "must be a string" }), {
  error: missingOr("an object of strings"),
});
const secretRef = object({ SecretName: name, SecretID: z.optional(text) });
const configRef = object({ ConfigName: name, ConfigID: z.optional(text) });
const networkRef = object({ Target: name });

const networkSpec = object({
  Name: name,
  Driver: z.optional(text),
  Labels: z.optional(labels),
});
const objectSpec = object({
  Name: name,
  Labels: z.optional(labels),
  Data: z.optional(text),
});
const serviceSpec = object({
  Name: name,
  Labels: z.optional(labels),
  TaskTemplate: object({
    ContainerSpec: z.optional(
      object({
        Image: name,
        Secrets: z.optional(list(secretRef)),
        Configs: z.optional(list(configRef)),
      }),
    ),
    Networks: z.optional(list(networkRef)),
    ForceUpdate: z.optional(number),
  }),
  Mode: z.optional(object({})),
  Networks: z.optional(list(networkRef)),
});
const stackSpecs = z.object(
  {
    networks: z._default(list(networkSpec), []),
    secrets: z._default(list(objectSpec), []),
    configs: z._default(list(objectSpec), []),
    services: z._default(list(serviceSpec), []),
  },
  { error: "must be an object" },
);

/** `NetworkCreate` body of a stack network (Engine API field names). */
export type NetworkSpec = z.infer<typeof networkSpec>;
/** `SecretSpec` / `ConfigSpec` body; `Data` is base64. */
export type ObjectSpec = z.infer<typeof objectSpec>;
/** `ServiceSpec` body with network, secret and config references still by name. */
export type ServiceSpec = z.infer<typeof serviceSpec>;
/** Everything one stack declares, as packages/stacks renders it. */
export type StackSpecs = z.infer<typeof stackSpecs>;

/**
 * Parses and checks `StackApplyCommand.specs_json`: valid JSON of the right shape, unique names,
 * and every object inside the namespace `ns` (the namespace label is added where missing, and a
 * different namespace is an error, since pruning relies on that label).
 */
export function parseStackSpecs(specsJson: string, ns: string): StackSpecs {
  const place = { stack: ns, path: "specs_json" };
  let raw: unknown;
  try {
    raw = JSON.parse(specsJson);
  } catch (err) {
    // The message of JSON.parse may quote the input, which can hold secret data: keep it out.
    throw new PhoenixError(ErrorCode.INVALID_ARGUMENT, "specs_json is not valid JSON", { place, cause: err });
  }
  const parsed = stackSpecs.safeParse(raw);
  if (!parsed.success) {
    const details = parsed.error.issues.map(
      (issue) =>
        new PhoenixError(ErrorCode.INVALID_ARGUMENT, issue.message, {
          place: { stack: ns, path: ["specs_json", ...issue.path].join(".") },
        }),
    );
    const first = details[0];
    throw new PhoenixError(
      ErrorCode.INVALID_ARGUMENT,
      `specs_json does not hold stack specs${first ? `: ${first.place.path}: ${first.message}` : ""}`,
      { place, details },
    );
  }
  const specs = parsed.data;
  for (const kind of ["networks", "secrets", "configs", "services"] as const) {
    const seen = new Set<string>();
    specs[kind].forEach((spec, i) => {
      const where = { stack: ns, path: `specs_json.${kind}.${i}.Name` };
      if (seen.has(spec.Name)) {
        throw new PhoenixError(ErrorCode.INVALID_ARGUMENT, `${kind} name "${spec.Name}" is declared twice`, {
          place: where,
        });
      }
      seen.add(spec.Name);
      const owner = spec.Labels?.[NAMESPACE_LABEL];
      if (kind === "networks" && owner === undefined && isSharedNetwork(spec.Labels)) return;
      if (owner !== undefined && owner !== ns) {
        throw new PhoenixError(
          ErrorCode.INVALID_ARGUMENT,
          `${kind} "${spec.Name}" is labelled for namespace "${owner}", not "${ns}"`,
          { place: { stack: ns, path: `specs_json.${kind}.${i}.Labels` } },
        );
      }
      spec.Labels = { ...spec.Labels, [NAMESPACE_LABEL]: ns };
    });
  }
  return specs;
}
