import type { ChannelCredentials } from "@grpc/grpc-js";

/**
 * Wraps channel credentials so that a channel made with them never shares its connection.
 * grpc-js pools subchannels process-wide by target, options and equal credentials, so N simulated
 * agents in one process would otherwise multiplex over one HTTP/2 connection; a real agent has a
 * connection of its own, and so does each simulated one with this wrapper (same transport, same
 * security, identity-only equality).
 */
export function ownConnection(base: ChannelCredentials): ChannelCredentials {
  const own: ChannelCredentials = Object.create(base);
  own._equals = (other: ChannelCredentials) => other === own;
  return own;
}
