/** Version of phoenix-agent, sent in Hello and printed by `--version`; equals package.json's. */
export const AGENT_VERSION = "0.1.0";
