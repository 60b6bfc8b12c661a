import type { ServiceVolumeConfig } from "./compose-types";

const PROPAGATIONS = ["rprivate", "private", "rshared", "shared", "rslave", "slave"];

function isWindowsDrive(buffer: string[], char: string): boolean {
  return char === ":" && buffer.length === 1 && /\p{L}/u.test(buffer[0] as string);
}

function isFilePath(source: string): boolean {
  if (".~/".includes(source[0] as string)) return true;
  const chars = [...source];
  if (chars.length === 1) return false;
  if (source.startsWith("\\\\")) return true;
  return isWindowsDrive([chars[0] as string], chars[1] as string);
}

/**
 * Parses the short volume syntax `[source:]target[:options]` as Docker's compose loader does:
 * a source that looks like a path (`./`, `/`, `~`) is a bind mount, anything else a named
 * volume; `ro`, `rw`, `nocopy` and bind propagation options are understood, others ignored.
 */
export function parseShortVolume(spec: string): ServiceVolumeConfig {
  if (spec.length === 0) throw new Error("invalid empty volume spec");
  if (spec.length <= 2) return { type: "volume", target: spec };
  const volume: ServiceVolumeConfig = { type: "" };
  let buffer: string[] = [];
  const END = "\u0000";
  for (const char of [...spec, END]) {
    if (isWindowsDrive(buffer, char)) {
      buffer.push(char);
    } else if (char === ":" || char === END) {
      const text = buffer.join("");
      if (buffer.length === 0) throw new Error(`invalid spec: ${spec}: empty section between colons`);
      if (volume.source === undefined && char === END) volume.target = text;
      else if (volume.source === undefined) volume.source = text;
      else if (volume.target === undefined) volume.target = text;
      else if (char === ":") throw new Error(`invalid spec: ${spec}: too many colons`);
      else {
        for (const option of text.split(",")) {
          if (option === "ro") volume.readOnly = true;
          else if (option === "rw") volume.readOnly = false;
          else if (option === "nocopy") volume.volume = { nocopy: true };
          else if (PROPAGATIONS.includes(option)) volume.bind = { propagation: option };
        }
      }
      buffer = [];
    } else {
      buffer.push(char);
    }
  }
  volume.type = volume.source === undefined || !isFilePath(volume.source) ? "volume" : "bind";
  return volume;
}
