/**
 * The CLI reaches the emulator only through the separate `kfp-ts-emulator` package, loaded on demand:
 * installing `kfp-ts` (the library and this CLI) pulls no server code and builds nothing native.
 * The shapes below are the slice of that package's public API the CLI uses; a test type-checks them
 * against the real package.
 */

export interface EmbeddedEmulator {
  readonly url: string;
  close(): Promise<void>;
}

export interface EmulatorPackage {
  startEmulator(opts?: {
    port?: number;
    host?: string;
    lifecycle?: Record<string, unknown>;
  }): Promise<EmbeddedEmulator>;
}

export interface EmulatorCliModule {
  runEmulatorCli(args: string[]): Promise<number>;
}

export const EMULATOR_PACKAGE = "kfp-ts-emulator";

/** Thrown when the emulator package is not installed: says how to get it. */
export class EmulatorMissingError extends Error {
  override name = "EmulatorMissingError";
}

async function load<T>(specifier: string): Promise<T> {
  try {
    return (await import(specifier)) as T;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "ERR_MODULE_NOT_FOUND" && String((err as Error).message).includes(EMULATOR_PACKAGE)) {
      throw new EmulatorMissingError(
        `the emulator is a separate package: install it with "npm install --save-dev ${EMULATOR_PACKAGE}" ` +
          `(or run "npx ${EMULATOR_PACKAGE}")`,
      );
    }
    throw err;
  }
}

/** The emulator package's library entry (`startEmulator`). */
export function loadEmulator(): Promise<EmulatorPackage> {
  return load<EmulatorPackage>(EMULATOR_PACKAGE);
}

/** The emulator package's command line (`runEmulatorCli`). */
export function loadEmulatorCli(): Promise<EmulatorCliModule> {
  return load<EmulatorCliModule>(`${EMULATOR_PACKAGE}/cli`);
}
