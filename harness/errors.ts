/**
 * An error in what the user gave us (a file, a flag, a value): printed as one line, exit code 2.
 * Anything else that escapes is a bug in the harness and exits 1 with its stack.
 */
export class InputError extends Error {
  override readonly name = 'InputError';
}

/** Re-raises any error from `fn` as an InputError prefixed with `context` (e.g. a file name). */
export async function asInputError<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(e instanceof Error ? e.message : String(e));
  }
}

/** `asInputError` for synchronous work. */
export function asInputErrorSync<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(e instanceof Error ? e.message.split('\n')[0]! : String(e));
  }
}
