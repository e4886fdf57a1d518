/**
 * Bad input, found before anything reaches a host. The message names the field, the value
 * and the rule; where snapd has a message for the rule, `reason` is snapd's message exactly.
 */
export class InputError extends Error {
  constructor(
    /** Where the value came from, e.g. `instance` or `apps[2]`. */
    readonly field: string,
    /** The offending value. */
    readonly value: unknown,
    /** snapd's message, or the rule in our words where snapd has none. */
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
    this.name = "InputError";
  }
}

/** Returns `reason` wrapped as an InputError for `field`, or nothing when `reason` is empty. */
export function failIf(field: string, value: unknown, reason: string | undefined): void {
  if (reason !== undefined) throw new InputError(field, value, reason);
}

/** Runs `check`, naming where its InputError came from: `context` goes before the field. */
export function inContext<T>(context: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof InputError) throw new InputError(`${context}${error.field}`, error.value, error.reason);
    throw error;
  }
}
