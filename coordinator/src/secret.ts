import { inspect } from "node:util";

const REDACTED = "[redacted]";

/** A token that prints as "[redacted]" however it is logged, serialized or inspected. */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The token's value, for the one place that compares or sends it. */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
