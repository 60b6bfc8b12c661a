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

/** Parses like `reference.ParseNormalizedNamed`; throws Docker's reason for what it rejects. */
export function parseImageReference(image: string): ImageReference {
  if (/^[a-f0-9]{64}$/.test(image)) {
    throw new Error(`invalid repository name (${image}), cannot specify 64-byte hexadecimal strings`);
  }
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
  if (path.toLowerCase() !== path) {
    throw new Error(`invalid reference format: repository name (${path}) must be lowercase`);
  }
  const m = REFERENCE.exec(`${domain}/${remainder}`);
  if (!m) throw new Error("invalid reference format");
  if ((m[1] as string).length > 255)
    throw new Error("invalid reference format: repository name must not be more than 255 characters");
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
 * when neither tag nor digest is given. Throws Docker's reason for an invalid reference.
 */
export function serviceImage(image: string): string {
  if (image === "") throw new Error("no image: a Swarm service runs an image, it cannot build one");
  const ref = parseImageReference(image);
  const tag = ref.tag ?? (ref.digest ? undefined : "latest");
  return `${familiarName(ref.name)}${tag ? `:${tag}` : ""}${ref.digest ? `@${ref.digest}` : ""}`;
}
