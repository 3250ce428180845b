/**
 * Lightweight Python components without the per-task pip (../shared/kfp-api/EXECUTION.md "The
 * task's command"). The compiler emits `sh -c PREAMBLE sh -ec PROGRAM SOURCE`: PREAMBLE pip-installs
 * `kfp==<pin> --no-deps` and the component's `packages_to_install` into whatever `python3` it finds,
 * then runs the rest. Here PREAMBLE is dropped (`argv.slice(3)`), its pin and packages are read out of
 * it, and PROGRAM runs with a venv's `bin` first on PATH. A venv is keyed by (Python version, kfp pin,
 * sorted packages), lives in `<cacheDir>/<hash>`, is created on first use and reused after:
 * - created as `python -m venv --without-pip` (0.1–0.25 s against 2–8 s with pip) while the base
 *   interpreter's pip puts `kfp==<pin> --no-deps` (pure Python) straight into its site-packages
 *   (`--target`, ~0.3 s less than `--python`); then the packages, with their dependencies, through
 *   `pip --python <venv>` (pip ≥ 22.3; with an older pip the venv gets its own pip: the slow path);
 * - built in a temporary sibling directory and renamed into place, so a crash leaves no half venv and
 *   two processes never share one in the making; in one process, concurrent first uses share a promise;
 * - when the pin cannot be installed (offline; a source-only release that cannot build), a kfp already
 *   on this machine is used instead: what pip installs with `--no-index` (its find-links), else the
 *   newest kfp of a ready venv in the cache (same Python), copied in. Only after it proved it imports
 *   the executor with `_KFP_RUNTIME=true` (all a task needs); otherwise the task fails naming the pin.
 * The user's interpreter is never changed.
 */
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { cp, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";

export class PythonEnvError extends Error {
  override name = "PythonEnvError";
}

/** What PREAMBLE asks for. */
export interface PythonRequirements {
  /** The `kfp==<pin>` version, or undefined when the component installs no kfp (kfp_package_path). */
  kfpPin: string | undefined;
  /** Other requirements, as written (markers kept; pip evaluates them). */
  packages: string[];
}

export interface PythonCommand extends PythonRequirements {
  /** `sh -ec PROGRAM SOURCE args…`: what runs once the venv is on PATH. */
  argv: string[];
}

export interface Interpreter {
  executable: string;
  version: string;
  /** Whether its pip can install into another environment (`pip --python`, pip ≥ 22.3). */
  pipPython: boolean;
}

/**
 * pip options whose value is a separate word. Options are never passed on (the machine's pip
 * configuration decides where packages come from), and their values are not packages.
 */
const SKIP_WITH_VALUE = new Set(
  (
    "-i --index-url --extra-index-url --trusted-host -f --find-links -t --target -r --requirement " +
    "-c --constraint -e --editable --prefix --root --src --cache-dir --upgrade-strategy --platform " +
    "--python-version --implementation --abi --progress-bar --log --proxy --retries --timeout --cert " +
    "--client-cert --global-option -C --config-settings --python"
  ).split(" "),
);

/** The words of a shell command fragment: single- and double-quoted strings, and bare words. */
function shellWords(text: string): string[] {
  const out: string[] = [];
  const re = /'([^']*)'|"((?:[^"\\]|\\.)*)"|([^\s'"]+)/g;
  for (const m of text.matchAll(re)) out.push(m[1] ?? m[2]?.replace(/\\(.)/g, "$1") ?? m[3] ?? "");
  return out;
}

/** The pin and packages of a compiled install PREAMBLE (every `pip install …` in it). */
export function parsePreamble(preamble: string): PythonRequirements {
  let kfpPin: string | undefined;
  const packages: string[] = [];
  for (const m of preamble.matchAll(/pip install ([^\n]*?)(?=&&|\n|$)/g)) {
    const words = shellWords(m[1] ?? "");
    for (let i = 0; i < words.length; i++) {
      const w = words[i] ?? "";
      if (SKIP_WITH_VALUE.has(w)) {
        i++;
        continue;
      }
      if (w.startsWith("-") || w === "") continue;
      const pin = /^kfp==([0-9A-Za-z.+-]+)$/.exec(w);
      if (pin) kfpPin = pin[1];
      else packages.push(w);
    }
  }
  return { kfpPin, packages: [...new Set(packages)].sort() };
}

/**
 * A command behind a compiled install preamble (`sh -c PREAMBLE <rest…>` where PREAMBLE pip-installs
 * and ends in `"$0" "$@"`): Lightweight Python (`<rest>` = `sh -ec PROGRAM SOURCE …`) and the older
 * `packages_to_install` form (`<rest>` = `python3 -u -c PROGRAM …`). Undefined for anything else.
 */
export function parsePythonCommand(argv: readonly string[]): PythonCommand | undefined {
  const [sh, dashC, preamble] = argv;
  if (sh !== "sh" || dashC !== "-c" || typeof preamble !== "string" || argv.length < 4) return undefined;
  if (!preamble.includes("pip install") || !/"\$0" "\$@"\s*$/.test(preamble)) return undefined;
  return { ...parsePreamble(preamble), argv: argv.slice(3) };
}

/**
 * Requirements as they apply to one Python version: a requirement whose only marker is a
 * `python_version` comparison that is false here is dropped (the compiler adds
 * `typing-extensions…; python_version<"3.9"` to every component); anything else is kept for pip.
 */
export function applicableRequirements(req: PythonRequirements, pythonVersion: string): PythonRequirements {
  const [maj = 0, min = 0] = pythonVersion.split(".").map((n) => Number.parseInt(n, 10));
  const packages = req.packages.filter((p) => {
    const m = /;\s*python_version\s*(<=|>=|==|!=|<|>)\s*["']?(\d+)\.(\d+)["']?\s*$/.exec(p);
    if (!m) return true;
    const cmp = maj - Number(m[2]) || min - Number(m[3]);
    switch (m[1]) {
      case "<":
        return cmp < 0;
      case "<=":
        return cmp <= 0;
      case ">":
        return cmp > 0;
      case ">=":
        return cmp >= 0;
      case "==":
        return cmp === 0;
      default:
        return cmp !== 0;
    }
  });
  return { kfpPin: req.kfpPin, packages };
}

/** The venv key's directory name for these requirements. */
export function venvKey(pythonVersion: string, req: PythonRequirements): string {
  const text = JSON.stringify([pythonVersion, req.kfpPin ?? null, [...req.packages].sort()]);
  return createHash("sha256").update(text).digest("hex").slice(0, 20);
}

/**
 * pip runs with the emulator's environment (its index, proxy and certificate settings apply) plus:
 * never prompt, no self-update check (a network call), and no user-wide settings that would send the
 * install elsewhere or refuse it (it only ever writes into a venv of ours).
 */
const PIP_ENV = {
  PIP_NO_INPUT: "1",
  PIP_DISABLE_PIP_VERSION_CHECK: "1",
  PIP_REQUIRE_VIRTUALENV: "0",
  PIP_USER: "0",
};

function run(file: string, args: string[], timeoutMs: number): Promise<{ stdout: string; stderr: string }> {
  const env = { ...process.env, ...PIP_ENV };
  return new Promise((res, rej) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, env }, (err, stdout, stderr) => {
      if (err) {
        const tail = `${stderr}`.trim().split("\n").slice(-3).join(" | ");
        rej(new PythonEnvError(`${[file, ...args].join(" ")} failed: ${tail || err.message}`));
      } else res({ stdout: `${stdout}`, stderr: `${stderr}` });
    });
  });
}

/** Ask an interpreter its real executable, version and pip. */
export async function inspectInterpreter(python: string): Promise<Interpreter> {
  const code =
    "import sys, json\ntry:\n import pip; p = pip.__version__\nexcept Exception:\n p = ''\n" +
    "print(json.dumps([sys.executable, '%d.%d.%d' % sys.version_info[:3], p]))";
  let out: string;
  try {
    out = (await run(python, ["-c", code], 30_000)).stdout;
  } catch (e) {
    throw new PythonEnvError(`the Python interpreter '${python}' does not run: ${(e as Error).message}`);
  }
  let executable: string;
  let version: string;
  let pip: string;
  try {
    [executable, version, pip] = JSON.parse(out.trim().split("\n").pop() ?? "") as [string, string, string];
  } catch {
    throw new PythonEnvError(
      `the Python interpreter '${python}' did not say what it is (got ${JSON.stringify(out.slice(-200))})`,
    );
  }
  const [major = 0, minor = 0] = pip.split(".").map((n) => Number.parseInt(n, 10));
  return { executable, version, pipPython: major > 22 || (major === 22 && minor >= 3) };
}

interface VenvMarker {
  python: string;
  kfpPin: string | null;
  kfpInstalled: string | null;
  packages: string[];
  createdMs: number;
}

const MARKER = "kfp-ts-venv.json";
const PIP_TIMEOUT_MS = 15 * 60_000;

export interface VenvManagerOptions {
  cacheDir: string;
  interpreter: () => Promise<Interpreter>;
}

/** Creates venvs once per key and hands out their `bin` directories. */
export class VenvManager {
  private readonly pending = new Map<string, Promise<string>>();
  constructor(private readonly opts: VenvManagerOptions) {}

  /** The `bin` directory of the venv for `req`, created first if it does not exist yet. */
  async ensure(requested: PythonRequirements, onProgress?: (m: string) => void): Promise<string> {
    const py = await this.opts.interpreter();
    const req = applicableRequirements(requested, py.version);
    const key = venvKey(py.version, req);
    const dir = join(this.opts.cacheDir, key);
    const known = this.pending.get(key);
    // A venv removed from the cache while we run (someone cleared it) is made again.
    if (
      known &&
      (await known.then(
        (bin) => existsSync(join(bin, "python3")),
        () => true,
      ))
    )
      return known;
    const p = this.readyOrCreate(dir, py, req, onProgress);
    this.pending.set(key, p);
    p.catch(() => this.pending.delete(key));
    return p;
  }

  private async readyOrCreate(
    dir: string,
    py: Interpreter,
    req: PythonRequirements,
    onProgress?: (m: string) => void,
  ): Promise<string> {
    if (await isReady(dir)) return join(dir, "bin");
    await mkdir(dirname(dir), { recursive: true });
    const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
    const what = describe(req);
    const t0 = Date.now();
    onProgress?.(`creating a Python ${py.version} venv for ${what} in ${dir} (first use; reused after)`);
    try {
      const installed = await this.build(tmp, py, req, onProgress);
      const marker: VenvMarker = {
        python: py.version,
        kfpPin: req.kfpPin ?? null,
        kfpInstalled: installed,
        packages: req.packages,
        createdMs: Date.now() - t0,
      };
      await writeFile(join(tmp, MARKER), JSON.stringify(marker));
      try {
        await rename(tmp, dir);
      } catch (e) {
        // Another process finished the same venv first: use it.
        if (!(await isReady(dir))) throw e;
        await rm(tmp, { recursive: true, force: true });
      }
    } catch (e) {
      await rm(tmp, { recursive: true, force: true });
      throw e;
    }
    onProgress?.(`venv for ${what} ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return join(dir, "bin");
  }

  /** Fill a new venv at `tmp`; returns the kfp version installed. */
  private async build(
    tmp: string,
    py: Interpreter,
    req: PythonRequirements,
    onProgress?: (m: string) => void,
  ): Promise<string | null> {
    const venvPython = join(tmp, "bin", "python");
    const [major, minor] = py.version.split(".");
    const site = join(tmp, "lib", `python${major}.${minor}`, "site-packages");
    const venv = (withPip: boolean) =>
      run(py.executable, ["-m", "venv", ...(withPip ? [] : ["--without-pip"]), tmp], 120_000);
    let installed: string | null = null;
    let pinError: Error | undefined;
    if (py.pipPython) {
      // Fast path: the venv (no pip of its own) and kfp (pure Python, --no-deps, straight into the
      // venv's site-packages with the base pip's --target) at the same time.
      await mkdir(site, { recursive: true });
      if (req.kfpPin) onProgress?.(`installing kfp==${req.kfpPin} (--no-deps)`);
      const kfp = req.kfpPin
        ? run(
            py.executable,
            ["-m", "pip", "install", "--quiet", "--no-deps", "--target", site, `kfp==${req.kfpPin}`],
            PIP_TIMEOUT_MS,
          ).then(
            () => req.kfpPin ?? null,
            (e: Error) => {
              pinError = e;
              return null;
            },
          )
        : Promise.resolve(null);
      [, installed] = await Promise.all([venv(false), kfp]);
    } else {
      await venv(true);
    }
    const pip = (args: string[]) =>
      py.pipPython
        ? run(
            py.executable,
            ["-m", "pip", "--python", venvPython, "install", "--quiet", ...args],
            PIP_TIMEOUT_MS,
          )
        : run(venvPython, ["-m", "pip", "install", "--quiet", ...args], PIP_TIMEOUT_MS);
    if (req.kfpPin && !py.pipPython) {
      onProgress?.(`installing kfp==${req.kfpPin} (--no-deps)`);
      try {
        await pip(["--no-deps", `kfp==${req.kfpPin}`]);
        installed = req.kfpPin;
      } catch (e) {
        pinError = e as Error;
      }
    }
    if (req.kfpPin && pinError) {
      installed = await this.fallbackKfp(venvPython, pip, req.kfpPin, pinError, onProgress);
    }
    if (req.packages.length > 0) {
      onProgress?.(`installing ${req.packages.join(" ")}`);
      try {
        await pip(req.packages);
      } catch (e) {
        throw new PythonEnvError(
          `cannot install the component's packages (${req.packages.join(", ")}): ${(e as Error).message}`,
        );
      }
    }
    return installed;
  }

  private async fallbackKfp(
    venvPython: string,
    pip: (args: string[]) => Promise<unknown>,
    pin: string,
    pinError: Error,
    onProgress?: (m: string) => void,
  ): Promise<string> {
    const fail = (why: string) =>
      new PythonEnvError(
        `cannot install kfp==${pin}, the version the component pins (${pinError.message}); ${why}`,
      );
    let source: string;
    try {
      await pip(["--no-deps", "--no-index", "kfp"]);
      source = "pip's local sources";
    } catch {
      const cached = await this.newestCachedKfp(venvPython);
      if (!cached) throw fail("no other kfp is available on this machine to fall back to");
      source = `the venv ${cached}`;
    }
    let version: string;
    try {
      const probe =
        "import os; os.environ['_KFP_RUNTIME'] = 'true'\nimport kfp.dsl.executor_main, kfp\nprint(kfp.__version__)";
      version = (await run(venvPython, ["-c", probe], 60_000)).stdout.trim();
    } catch (e) {
      throw fail(
        `the kfp found on this machine (in ${source}) cannot run the executor: ${(e as Error).message}`,
      );
    }
    onProgress?.(`kfp==${pin} could not be installed; using kfp ${version} from ${source} instead`);
    return version;
  }

  /**
   * Copy the newest kfp of a ready venv in the cache (same Python version: the key says so) into the
   * venv being made at `venvPython`; returns that venv's directory, or undefined when there is none.
   */
  private async newestCachedKfp(venvPython: string): Promise<string | undefined> {
    const py = await this.opts.interpreter();
    let best: { dir: string; version: number[] } | undefined;
    let names: string[] = [];
    try {
      names = await readdir(this.opts.cacheDir);
    } catch {
      return undefined;
    }
    for (const name of names.filter((n) => /^[0-9a-f]{20}$/.test(n)).slice(0, 1000)) {
      const dir = join(this.opts.cacheDir, name);
      let marker: VenvMarker;
      try {
        marker = JSON.parse(await readFile(join(dir, MARKER), "utf8")) as VenvMarker;
      } catch {
        continue;
      }
      if (marker.python !== py.version || !marker.kfpInstalled) continue;
      const version = marker.kfpInstalled.split(".").map((n) => Number.parseInt(n, 10) || 0);
      if (!best || compareVersions(version, best.version) > 0) best = { dir, version };
    }
    if (!best) return undefined;
    const site = async (root: string) => {
      const lib = join(root, "lib");
      const py3 = (await readdir(lib)).find((d) => d.startsWith("python"));
      if (!py3) throw new PythonEnvError(`no lib/python* in ${root}`);
      return join(lib, py3, "site-packages");
    };
    try {
      const from = await site(best.dir);
      const to = await site(dirname(dirname(venvPython)));
      for (const entry of await readdir(from)) {
        if (entry === "kfp" || /^kfp-[^/]+\.dist-info$/.test(entry)) {
          await cp(join(from, entry), join(to, entry), { recursive: true });
        }
      }
    } catch {
      return undefined;
    }
    return best.dir;
  }
}

function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function describe(req: PythonRequirements): string {
  const kfp = req.kfpPin ? `kfp==${req.kfpPin}` : "no kfp";
  return req.packages.length ? `${kfp} + ${req.packages.join(", ")}` : kfp;
}

async function isReady(dir: string): Promise<boolean> {
  try {
    JSON.parse(await readFile(join(dir, MARKER), "utf8"));
    return true;
  } catch {
    return false;
  }
}
