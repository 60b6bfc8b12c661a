// Removes optional-dependency edges that point at packages absent from package-lock.json.
// The npm registry reachable from these machines serves only Linux builds of platform packages
// (esbuild, biome, buf, turbo), so `npm install` leaves them out of the lock while keeping the
// edges, and `npm ci` then refuses the lock. Usage: node scripts/prune-lockfile.mjs [package-lock.json]
import fs from "node:fs";

const file = process.argv[2] ?? "package-lock.json";
const lock = JSON.parse(fs.readFileSync(file, "utf8"));
const present = new Set(Object.keys(lock.packages));
let removed = 0;
const has = (from, name) => {
  // resolve like node: nested node_modules first, then up to the root
  let dir = from;
  for (;;) {
    const p = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
    if (present.has(p)) return true;
    if (!dir) return false;
    const i = dir.lastIndexOf("/node_modules/");
    dir = i < 0 ? "" : dir.slice(0, i);
  }
};
for (const [path, entry] of Object.entries(lock.packages)) {
  if (!entry.optionalDependencies) continue;
  for (const name of Object.keys(entry.optionalDependencies)) {
    if (!has(path, name)) {
      delete entry.optionalDependencies[name];
      removed++;
    }
  }
}
fs.writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`removed ${removed} unresolvable optional dependency edges`);
