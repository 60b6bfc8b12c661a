import { randomBytes } from "node:crypto";
import { open, readdir, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** The temp file name a write of `path` uses: hidden, in the same directory, random, ending in ".tmp". */
function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
}

/**
 * Replaces a file so that a crash at any moment leaves either the old or the new content
 * (the event history and the coordinator state use it):
 * write a temp file in the same directory, fsync it, rename it over the file, fsync the directory.
 * On failure the temp file is removed and the old file is untouched.
 */
export async function writeFileAtomic(path: string, data: string, mode = 0o600): Promise<void> {
  const tmp = tempPathFor(path);
  try {
    const fh = await open(tmp, "wx", mode);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => {});
    throw err;
  }
  const dh = await open(dirname(path), "r");
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

/** Removes temp files that an interrupted writeFileAtomic of `path` left behind; returns their names. */
export async function removeStaleTempFiles(path: string): Promise<string[]> {
  const prefix = `.${basename(path)}.`;
  const names = (await readdir(dirname(path))).filter((n) => n.startsWith(prefix) && n.endsWith(".tmp"));
  await Promise.all(names.map((n) => rm(join(dirname(path), n), { force: true })));
  return names;
}
