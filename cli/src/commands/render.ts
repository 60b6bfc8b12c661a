import { readFileSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { ErrorCode, PhoenixError } from "@phoenix/errors";
import { formatJsonPath, stackManifestSchema } from "@phoenix/model";
import { renderedStackJson, renderStack, type StackManifest } from "@phoenix/stacks";
import type { CommandContext } from "../context";

/** Reads and validates a phoenix.json, every problem named by its JSON path. */
export function readManifest(path: string): StackManifest {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new PhoenixError(ErrorCode.INVALID_MODEL, `cannot read the manifest: ${(err as Error).message}`, {
      place: { file: path },
    });
  }
  const parsed = stackManifestSchema.safeParse(json);
  if (!parsed.success) {
    const details = parsed.error.issues.map(
      (i) =>
        new PhoenixError(ErrorCode.INVALID_MODEL, i.message, {
          place: { file: path, path: formatJsonPath(i.path) },
        }),
    );
    throw new PhoenixError(
      ErrorCode.INVALID_MODEL,
      `${path} is not a valid phoenix.json (${details.length} problem(s))`,
      {
        details,
      },
    );
  }
  const envs: StackManifest["environments"] = {};
  for (const [name, env] of Object.entries(parsed.data.environments)) {
    envs[name] = {
      variables: Object.fromEntries(Object.entries(env.variables).map(([k, v]) => [k, String(v)])),
      services: env.services as NonNullable<NonNullable<StackManifest["environments"]>[string]>["services"],
    };
  }
  return { ...(parsed.data.description ? { description: parsed.data.description } : {}), environments: envs };
}

/** `phoenix stack render -f compose.yml [--namespace NS] [--manifest phoenix.json --env ENV]` */
export async function render(
  ctx: CommandContext,
  opts: { file: string; namespace?: string; manifest?: string; env?: string; envFile?: string },
): Promise<number> {
  if (opts.env && !opts.manifest) {
    const beside = resolve(dirname(opts.file), "phoenix.json");
    opts.manifest = beside;
  }
  if (opts.manifest && !opts.env) {
    throw new PhoenixError(ErrorCode.INVALID_ARGUMENT, "--manifest needs --env to pick the environment");
  }
  const stack = basename(dirname(resolve(opts.file)));
  const rendered = renderStack({
    composePath: opts.file,
    stack,
    ...(opts.namespace ? { namespace: opts.namespace } : opts.env ? {} : { namespace: stack }),
    ...(opts.env ? { env: opts.env } : {}),
    ...(opts.manifest ? { manifest: readManifest(opts.manifest), manifestFile: opts.manifest } : {}),
    ...(opts.envFile ? { envFile: opts.envFile } : {}),
  });
  for (const w of rendered.warnings) ctx.out.error(`warning: ${w}`);
  process.stdout.write(renderedStackJson(rendered));
  return 0;
}
