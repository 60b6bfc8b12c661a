/** Swarm namespace of a stack in an environment: `<env>_<stack>` (prefix of its services and networks). */
export function stackNamespace(env: string, stack: string): string {
  return `${env}_${stack}`;
}

/** The overlay network every service of an environment joins, and no other environment can reach. */
export function environmentNetworkName(env: string): string {
  return `phoenix_env_${env}`;
}

/** Node label that pins a stack to the guests listing it in docker_stacks (`phoenix.stack.<stack>=true`). */
export function stackPinLabel(stack: string): string {
  return `phoenix.stack.${stack}`;
}

/** The placement constraint a pinned stack's services get. */
export function stackPinConstraint(stack: string): string {
  return `node.labels.${stackPinLabel(stack)} == true`;
}
