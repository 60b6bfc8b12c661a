// Docker image references, normalised the way the Docker client does before it creates or
// updates a service: `nginx` → `nginx:latest`, `docker.io/library/nginx:1` → `nginx:1`.

const DEFAULT_DOMAIN = "docker.io";
const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
const PATH_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*";
const REFERENCE = new RegExp(
  `^(${DOMAIN}/${PATH_COMPONENT}(?:/${PATH_COMPONENT})*)(?::([\\w][\\w.-]{0,127}))?(?:@([A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?$`,
);

/** A parsed image reference: full name (with domain), tag, digest. */
export interface ImageReference {
  name: string;
  tag?: string;
  digest?: string;
}

/** Parses like `reference.ParseNormalizedNamed`; `undefined` for what Docker rejects. */
export function parseImageReference(image: string): ImageReference | undefined {
  if (/^[a-f0-9]{64}$/.test(image)) return undefined;
  const slash = image.indexOf("/");
  let domain = DEFAULT_DOMAIN;
  let remainder = image;
  if (slash >= 0) {
    const first = image.slice(0, slash);
    if (/[.:]/.test(first) || first === "localhost" || first.toLowerCase() !== first) {
      domain = first;
      remainder = image.slice(slash + 1);
    }
  }
  if (domain === "index.docker.io") domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !remainder.includes("/")) remainder = `library/${remainder}`;
  const nameEnd = remainder.indexOf(":");
  const path = nameEnd < 0 ? remainder : remainder.slice(0, nameEnd);
  if (path.toLowerCase() !== path) return undefined;
  const m = REFERENCE.exec(`${domain}/${remainder}`);
  if (!m || (m[1] as string).length > 255) return undefined;
  return { name: m[1] as string, tag: m[2], digest: m[3] };
}

/** The short form Docker prints: without `docker.io/` and `library/`. */
export function familiarName(name: string): string {
  if (!name.startsWith(`${DEFAULT_DOMAIN}/`)) return name;
  const path = name.slice(DEFAULT_DOMAIN.length + 1);
  return path.startsWith("library/") && path.split("/").length === 2 ? path.slice("library/".length) : path;
}

/**
 * The image as the Docker client sends it in a service spec: familiar name, `:latest` added
 * when neither tag nor digest is given. A reference Docker cannot parse is left as it is.
 */
export function serviceImage(image: string): string {
  const ref = parseImageReference(image);
  if (!ref) return image;
  const tag = ref.tag ?? (ref.digest ? undefined : "latest");
  return `${familiarName(ref.name)}${tag ? `:${tag}` : ""}${ref.digest ? `@${ref.digest}` : ""}`;
}
