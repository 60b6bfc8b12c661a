import { posix } from "node:path";

/** True for an absolute Unix path or a Windows path (`C:\...`, `\\server\...`), as Docker checks. */
export function isAbsolutePath(p: string): boolean {
  return p.startsWith("/") || /^[a-zA-Z]:[\\/]/.test(p) || p.startsWith("\\\\");
}

/** `p` made absolute against `dir` and cleaned (Go's `filepath.Join`); absolute paths stay. */
export function absolutePath(dir: string, p: string): string {
  if (isAbsolutePath(p)) return p;
  return posix.join(dir, p);
}
