import { z } from "zod";
import { hostnameProblem, natsTokenProblem, parseLabel, projectNameProblem } from "./docker-names";
import { parsePlacementConstraint } from "./placement-constraint";

/** Label keys under this prefix belong to Phoenix (hardware labels); the model cannot set them. */
export const PHOENIX_LABEL_PREFIX = "phoenix.";

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function refined(base: z.ZodString, problem: (v: string) => string | undefined, what: string) {
  return base.superRefine((value, ctx) => {
    const p = problem(value);
    if (p) ctx.addIssue({ code: "custom", message: `${what} ${p}` });
  });
}

/** A stack name: a directory under stacks/, also part of `<env>_<stack>`. */
export const stackNameSchema = refined(z.string(), projectNameProblem, "stack name").describe(
  "Stack name: a directory under stacks/ (lowercase letters, digits, '-' and '_')",
);

/** An environment name: part of `<env>_<stack>` and of the environment's network. */
export const environmentNameSchema = refined(z.string(), projectNameProblem, "environment name").describe(
  "Environment name (lowercase letters, digits, '-' and '_'), e.g. dev1, test, production",
);

/** A Proxmox VMID / CTID. */
export const vmidSchema = z
  .int()
  .min(100)
  .max(999_999_999)
  .describe("Proxmox VMID or CTID (100 to 999999999)");

/** A guest name, which is also its hostname. */
export const guestNameSchema = refined(z.string(), hostnameProblem, "guest name").describe(
  "Guest name as in Proxmox; agents are matched by vmid, then by this hostname",
);

/** The cluster name, one NATS subject token. */
export const clusterNameSchema = refined(z.string(), projectNameProblem, "cluster name").describe(
  "Cluster name; events go to <prefix>.<cluster>.<kind>.<action>",
);

/** A NATS subject prefix: one or more dot-separated tokens. */
export const natsPrefixSchema = z
  .string()
  .superRefine((value, ctx) => {
    for (const token of value.split(".")) {
      const p = natsTokenProblem(token);
      if (p) {
        ctx.addIssue({ code: "custom", message: `subject prefix token ${JSON.stringify(token)} ${p}` });
        return;
      }
    }
  })
  .describe("NATS subject prefix, dot-separated tokens");

/** A node label `key=value` a model may set (not under `phoenix.`). */
export const nodeLabelSchema = z
  .string()
  .superRefine((value, ctx) => {
    const parsed = parseLabel(value);
    if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.problem });
    else if (parsed.label.key.toLowerCase().startsWith(PHOENIX_LABEL_PREFIX))
      ctx.addIssue({
        code: "custom",
        message: `label key ${JSON.stringify(parsed.label.key)}: the ${PHOENIX_LABEL_PREFIX} prefix is reserved for Phoenix's own labels`,
      });
  })
  .describe('Swarm node label "key=value", e.g. "gpu=true" or "zone=rack1"');

/** A Traefik label `traefik.<...>=value` (values are not echoed in errors: they may hold secrets). */
export const traefikLabelSchema = z
  .string()
  .superRefine((value, ctx) => {
    const eq = value.indexOf("=");
    if (eq < 0) {
      ctx.addIssue({ code: "custom", message: "traefik label is not key=value" });
      return;
    }
    const key = value.slice(0, eq);
    if (!key.startsWith("traefik.") || /\s/.test(key) || key.length <= "traefik.".length)
      ctx.addIssue({ code: "custom", message: `${JSON.stringify(key)} is not a traefik.* label key` });
  })
  .describe('Traefik label "traefik.<...>=value", injected into the service\'s deploy.labels');

/** A Swarm placement constraint such as `node.labels.gpu == true`. */
export const placementConstraintSchema = z
  .string()
  .superRefine((value, ctx) => {
    const parsed = parsePlacementConstraint(value);
    if (!parsed.ok) ctx.addIssue({ code: "custom", message: `placement constraint ${parsed.problem}` });
  })
  .describe('Swarm placement constraint, e.g. "node.labels.gpu == true" or "node.role == manager"');

/** An interpolation or environment variable name. */
export const variableNameSchema = z.string().superRefine((value, ctx) => {
  if (!VARIABLE_NAME.test(value) || value === "__proto__")
    ctx.addIssue({ code: "custom", message: `variable name ${JSON.stringify(value)} is invalid` });
});

/** A container environment variable name: anything without '=' or whitespace (Docker allows dots). */
export const environmentNameKeySchema = z.string().superRefine((value, ctx) => {
  if (value.length === 0 || /[=\s]/.test(value) || value === "__proto__")
    ctx.addIssue({
      code: "custom",
      message: `environment variable name ${JSON.stringify(value)} is invalid`,
    });
});

/** A scalar that becomes a string (environment values). */
export const scalarSchema = z.union([z.string(), z.number(), z.boolean()], {
  error: "expected a string, number or boolean",
});
