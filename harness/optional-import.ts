/** Imports a module that is not a dependency of the project; undefined when it is not installed. */
export async function optionalImport(specifier: string): Promise<unknown | undefined> {
  try {
    return await import(specifier);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (/cannot find (module|package)|not found|resolve/i.test(message)) return undefined;
    throw e;
  }
}
