import { readdir, readFile, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { ErrorCode, PhoenixError } from "@phoenix/errors";
import { MODEL_FILES } from "./check-model";
import { type ModelResult, parseModel } from "./parse-model";

const MAX_FILE_BYTES = 4 * 1024 * 1024;
const SKIPPED_DIRS = new Set([".git", "node_modules"]);

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException)?.code === "ENOENT";
}

async function listFiles(root: string, dir: string, out: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  for (const e of entries) {
    const full = join(dir, e.name);
    // a symlinked config or directory counts as what it points to
    const kind = e.isSymbolicLink() ? await stat(full).catch(() => undefined) : e;
    if (kind?.isDirectory()) {
      if (!SKIPPED_DIRS.has(e.name)) await listFiles(root, full, out);
    } else if (kind?.isFile()) {
      out.push(relative(root, full).split(sep).join("/"));
    }
  }
}

/**
 * The last files a {@link loadModel} read and what they parsed to. parseModel is a pure function of
 * the files, so when a later read finds exactly the same files their result is used again instead of
 * parsing and validating everything anew; the files are still read every time.
 */
export interface ModelMemo {
  files?: Readonly<Record<string, string>>;
  result?: ModelResult;
}

function sameFiles(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

/**
 * Reads a model directory (etc/ and every file under stacks/) and validates it with
 * {@link parseModel}. Files that cannot be read are reported like any other problem. With a memo,
 * files identical to the memo's last ones give its result without parsing them again.
 */
export async function loadModel(dir: string, memo?: ModelMemo): Promise<ModelResult> {
  const problem = (file: string, message: string) =>
    new PhoenixError(ErrorCode.INVALID_MODEL, message, { place: { file } });

  const paths: string[] = Object.values(MODEL_FILES);
  try {
    await listFiles(dir, join(dir, "stacks"), paths);
  } catch (err) {
    if (!isMissing(err))
      return { ok: false, errors: [problem("stacks", `cannot read: ${(err as Error).message}`)] };
  }

  const files: Record<string, string> = {};
  const errors: PhoenixError[] = [];
  await Promise.all(
    paths.map(async (path) => {
      try {
        const buf = await readFile(join(dir, path));
        if (buf.length > MAX_FILE_BYTES) errors.push(problem(path, `larger than ${MAX_FILE_BYTES} bytes`));
        else files[path] = buf.toString("utf8");
      } catch (err) {
        if (!isMissing(err))
          errors.push(problem(path, `cannot read: ${(err as NodeJS.ErrnoException).code ?? err}`));
      }
    }),
  );
  if (files[MODEL_FILES.cluster] === undefined && errors.length === 0) {
    try {
      await readdir(dir);
    } catch (err) {
      return {
        ok: false,
        errors: [
          new PhoenixError(
            ErrorCode.INVALID_MODEL,
            isMissing(err) ? "model directory not found" : "cannot read the model directory",
            {
              place: { file: dir },
            },
          ),
        ],
      };
    }
  }
  let result: ModelResult;
  if (memo?.files && memo.result && sameFiles(memo.files, files)) {
    result = memo.result;
  } else {
    result = parseModel(files);
    if (memo) {
      memo.files = files;
      memo.result = result;
    }
  }
  if (errors.length === 0) return result;
  return { ok: false, errors: [...errors, ...(result.ok ? [] : result.errors)] };
}
