// Prints the hottest functions of V8 CPU profiles: `npx tsx bench/profile.ts <file.cpuprofile>...`
// (profiles of the benchmark's child processes: BENCH_CPU_PROF=<dir> npm run bench -- ...).
import { hotSpots, readProfile } from "./src/cpu-profile";

for (const file of process.argv.slice(2)) {
  console.log(`${file}\n   self ms   total ms  function`);
  for (const h of hotSpots(readProfile(file), Number(process.env.TOP ?? 25))) {
    console.log(`${h.selfMs.toFixed(0).padStart(10)} ${h.totalMs.toFixed(0).padStart(10)}  ${h.name}`);
  }
}
