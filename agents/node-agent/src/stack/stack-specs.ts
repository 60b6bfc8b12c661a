import { ErrorCode, PhoenixError } from "@phoenix/errors";
import { z } from "zod";
import { isSharedNetwork, NAMESPACE_LABEL } from "./labels";

// The parts of the Engine API shapes the applier reads; every other field is passed to Docker
// untouched, so the schemas are loose on purpose.
const labels = z.record(z.string(), z.string());
const secretRef = z.looseObject({ SecretName: z.string().min(1), SecretID: z.string().optional() });
const configRef = z.looseObject({ ConfigName: z.string().min(1), ConfigID: z.string().optional() });
const networkRef = z.looseObject({ Target: z.string().min(1) });

const networkSpec = z.looseObject({
  Name: z.string().min(1),
  Driver: z.string().optional(),
  Labels: labels.optional(),
});
const objectSpec = z.looseObject({
  Name: z.string().min(1),
  Labels: labels.optional(),
  Data: z.string().optional(),
});
const serviceSpec = z.looseObject({
  Name: z.string().min(1),
  Labels: labels.optional(),
  TaskTemplate: z.looseObject({
    ContainerSpec: z
      .looseObject({
        Image: z.string().min(1),
        Secrets: z.array(secretRef).optional(),
        Configs: z.array(configRef).optional(),
      })
      .optional(),
    Networks: z.array(networkRef).optional(),
    ForceUpdate: z.number().optional(),
  }),
  Mode: z.looseObject({}).optional(),
  Networks: z.array(networkRef).optional(),
});
const stackSpecs = z.object({
  networks: z.array(networkSpec).default([]),
  secrets: z.array(objectSpec).default([]),
  configs: z.array(objectSpec).default([]),
  services: z.array(serviceSpec).default([]),
});

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
