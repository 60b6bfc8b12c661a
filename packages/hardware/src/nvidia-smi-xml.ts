import { ErrorCode, PhoenixError } from "@phoenix/errors";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { child, smiEnabled, smiInt, smiMib, smiText } from "./nvidia-smi-values";

/** One MIG device of a GPU, as `nvidia-smi -q -x` lists it. */
export interface NvidiaSmiMigDevice {
  index: number;
  gpuInstanceId?: number;
  computeInstanceId?: number;
  /** Profile name such as "1g.10gb"; the XML does not carry it, `nvidia-smi -L` does. */
  profile?: string;
  /** MIG device UUID from `nvidia-smi -L`, when merged. */
  uuid?: string;
  memoryMib?: number;
  multiprocessorCount?: number;
}

/** One GPU of `nvidia-smi -q -x`. Anything the driver does not report is undefined. */
export interface NvidiaSmiGpu {
  /** nvidia-smi index: the position of the GPU in the report. */
  index: number;
  uuid?: string;
  productName?: string;
  brand?: string;
  architecture?: string;
  memoryTotalMib?: number;
  computeCapability?: string;
  pciBusId?: string;
  migCurrent?: boolean;
  migPending?: boolean;
  migDevices: NvidiaSmiMigDevice[];
}

/** The parts of `nvidia-smi -q -x` that Phoenix uses. */
export interface NvidiaSmiReport {
  driverVersion?: string;
  cudaVersion?: string;
  /** `attached_gpus` as reported; may exceed gpus.length when the output was cut. */
  attachedGpus?: number;
  gpus: NvidiaSmiGpu[];
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  isArray: (name) => name === "gpu" || name === "mig_device",
});

/** Parses the XML of `nvidia-smi -q -x` from any driver generation; missing or N/A values become undefined. */
export function parseNvidiaSmiXml(xml: string): NvidiaSmiReport {
  const start = xml.indexOf("<nvidia_smi_log");
  if (start < 0) {
    throw new PhoenixError(ErrorCode.NVIDIA_SMI, "nvidia-smi output has no <nvidia_smi_log> element");
  }
  // Anything printed before the XML (warnings on stdout) is not part of the document.
  const body = xml.slice(start);
  const valid = XMLValidator.validate(body);
  if (valid !== true) {
    throw new PhoenixError(
      ErrorCode.NVIDIA_SMI,
      `nvidia-smi output is not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`,
    );
  }
  const log = child(parser.parse(body), "nvidia_smi_log");
  const gpuNodes = child(log, "gpu");
  const gpus = Array.isArray(gpuNodes) ? gpuNodes.map(parseGpu) : [];
  return {
    driverVersion: smiText(child(log, "driver_version")),
    cudaVersion: smiText(child(log, "cuda_version")),
    attachedGpus: smiInt(child(log, "attached_gpus")),
    gpus,
  };
}

function parseGpu(node: unknown, index: number): NvidiaSmiGpu {
  const migNodes = child(node, "mig_devices", "mig_device");
  return {
    index,
    uuid: smiText(child(node, "uuid")),
    productName: smiText(child(node, "product_name")),
    brand: smiText(child(node, "product_brand")),
    architecture: smiText(child(node, "product_architecture")),
    memoryTotalMib: smiMib(child(node, "fb_memory_usage", "total")),
    computeCapability: computeCapability(node),
    pciBusId: smiText(child(node, "pci", "pci_bus_id")) ?? smiText(child(node, "@_id")),
    migCurrent: smiEnabled(child(node, "mig_mode", "current_mig")),
    migPending: smiEnabled(child(node, "mig_mode", "pending_mig")),
    migDevices: Array.isArray(migNodes) ? migNodes.map(parseMigDevice) : [],
  };
}

// Drivers that report it at all put it in <compute_cap> as "8.0".
function computeCapability(node: unknown): string | undefined {
  const text = smiText(child(node, "compute_cap"));
  return text && /^\d+\.\d+$/.test(text) ? text : undefined;
}

function parseMigDevice(node: unknown, position: number): NvidiaSmiMigDevice {
  return {
    index: smiInt(child(node, "index")) ?? position,
    gpuInstanceId: smiInt(child(node, "gpu_instance_id")),
    computeInstanceId: smiInt(child(node, "compute_instance_id")),
    memoryMib: smiMib(child(node, "fb_memory_usage", "total")),
    multiprocessorCount: smiInt(child(node, "device_attributes", "shared", "multiprocessor_count")),
  };
}
