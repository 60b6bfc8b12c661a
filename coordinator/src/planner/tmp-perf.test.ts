import { it } from "vitest";
import { parseModel, readComposeFile, parseJsonText, stackManifestSchema, guestEntrySchema } from "@phoenix/model";
it("t", () => {
  const c = `services:\n  app:\n    image: phoenix/testimg:latest\n`;
  let t = performance.now();
  for (let i = 0; i < 200; i++) readComposeFile(c);
  console.log("yaml x200", performance.now() - t);
  const vms = JSON.stringify({ vms: Array.from({ length: 1000 }, (_, i) => ({ vmid: 1000 + i, name: `guest-${i}`, swarm_role: "worker", node_labels: [`zone=rack${i % 10}`], docker_stacks: [`stack${i % 200}`], cores: 4 })) });
  t = performance.now();
  const d = parseJsonText(vms);
  console.log("json", performance.now() - t);
  t = performance.now();
  for (const e of (d as any).doc.value.vms) guestEntrySchema.safeParse(e);
  console.log("zod guests", performance.now() - t);
  const man = JSON.stringify({ environments: { dev1: { services: { app: { replicas: 1 } } } } });
  t = performance.now();
  for (let i = 0; i < 200; i++) stackManifestSchema.safeParse(JSON.parse(man));
  console.log("zod manifests", performance.now() - t);
  const files: Record<string, string> = { "etc/phoenix_cluster.json": JSON.stringify({ name: "lab", environments: ["dev1", "test", "production"] }), "etc/phoenix_vm_configs.json": vms };
  for (let i = 0; i < 200; i++) { files[`stacks/stack${i}/docker-compose.yml`] = c; files[`stacks/stack${i}/phoenix.json`] = man; }
  for (let k = 0; k < 3; k++) { t = performance.now(); const r = parseModel(files); console.log("parseModel", performance.now() - t, r.ok); }
});
