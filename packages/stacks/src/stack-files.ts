import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { ErrorCode, PhoenixError } from "@phoenix/errors";
import type { ReadFile } from "./compose-loader";
import { type RenderedStack, type RenderInput, renderStackSource } from "./render";

/** Reads a file by absolute path: the one way the stacks package touches the disk. */
export const readFileFromDisk: ReadFile = (path) => readFileSync(path);

/** Options of `renderStack`: the compose file as text or as a path, plus what to apply. */
export type RenderStackOptions = Omit<RenderInput, "composeYaml" | "workingDir" | "readFile"> & {
  /** Path of a `.env` file; with `composePath`, a `.env` beside the compose file is used when present. */
  envFile?: string;
  readFile?: ReadFile;
} & (
    | { composeYaml: string; workingDir?: string; composePath?: undefined }
    | { composePath: string; composeYaml?: undefined; workingDir?: undefined }
  );

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    throw new PhoenixError(ErrorCode.NOT_FOUND, `cannot read ${what} ${path}: ${(e as Error).message}`, {
      place: { file: path },
    });
  }
}

/**
 * Renders a stack like `docker stack deploy` would create it (see `renderStackSource`), reading
 * the compose file, the `.env` file and referenced files from disk.
 */
export function renderStack(options: RenderStackOptions): RenderedStack {
  const { composePath, envFile, readFile, ...rest } = options;
  let composeYaml: string;
  let workingDir: string;
  let composeFile = options.composeFile;
  let dotEnv = options.dotEnv;
  if (composePath !== undefined) {
    const absolute = resolve(composePath);
    composeYaml = readText(absolute, "compose file");
    workingDir = dirname(absolute);
    composeFile ??= composePath;
    if (dotEnv === undefined && envFile === undefined && existsSync(resolve(workingDir, ".env"))) {
      dotEnv = readText(resolve(workingDir, ".env"), "env file");
    }
  } else {
    composeYaml = options.composeYaml as string;
    workingDir = resolve(options.workingDir ?? ".");
  }
  if (envFile !== undefined) dotEnv = readText(resolve(envFile), "env file");
  return renderStackSource({
    ...rest,
    composeYaml,
    composeFile,
    workingDir,
    dotEnv,
    readFile: readFile ?? readFileFromDisk,
  });
}
