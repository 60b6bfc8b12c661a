// Types of the systeminformation modules the fingerprinters import one by one (the package's index
// loads all of them, graphics, processes, wifi and the rest included, into every guest's agent).
declare module "systeminformation/lib/cpu.js" {
  export { cpu, cpuCurrentSpeed, cpuFlags } from "systeminformation";
}
declare module "systeminformation/lib/memory.js" {
  export { mem } from "systeminformation";
}
declare module "systeminformation/lib/filesystem.js" {
  export { blockDevices, fsSize } from "systeminformation";
}
