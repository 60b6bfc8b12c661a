/** Settings of the test harness itself, which its children keep: sandbox and lab roots, bench factors. */
const HARNESS_SETTING = /^PHOENIX_(SANDBOX|LAB|BENCH)_/;

/**
 * This process's environment without Phoenix's own settings (PHOENIX_COORDINATOR, PHOENIX_TOKEN_FILE,
 * PHOENIX_HEARTBEAT_INTERVAL, ...), for the processes the harness starts when it gives them no
 * environment of their own. A shell that points the CLI at one lab (`eval "$(bash scripts/lab.sh env)"`)
 * would otherwise point the agents, coordinator and CLI of the next lab, a test or a benchmark at it:
 * every Phoenix program takes PHOENIX_* variables over its config file. They get their settings
 * explicitly (flags, config files) instead.
 */
export function inheritedEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(env).filter(([key]) => !key.startsWith("PHOENIX_") || HARNESS_SETTING.test(key)),
  );
}
