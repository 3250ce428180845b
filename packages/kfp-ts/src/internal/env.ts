/**
 * Environment fallbacks for client options, and host normalisation.
 *
 * Variables: `KFP_HOST` (then the Python SDK's `KF_PIPELINES_ENDPOINT`), `KFP_TOKEN`, `KFP_NAMESPACE`,
 * `KF_PIPELINES_SA_TOKEN_PATH` (token file), `KFP_LOG_LEVEL`. Inside a Kubernetes pod (the
 * `KUBERNETES_SERVICE_HOST` variable is set) with no host configured, the in-cluster service
 * `http://ml-pipeline.kubeflow.svc.cluster.local:8888` is used, as the Python SDK does.
 */
import { ValidationError } from "../core/errors.js";

export type Env = Readonly<Record<string, string | undefined>>;

/** In-cluster default token path of the Python SDK (a projected service-account token). */
export const DEFAULT_TOKEN_PATH = "/var/run/secrets/kubeflow/pipelines/token";

/** In-cluster default host (KFP installed in namespace `kubeflow`). */
export const IN_CLUSTER_HOST = "http://ml-pipeline.kubeflow.svc.cluster.local:8888";

function nonEmpty(v: string | undefined): string | undefined {
  const t = v?.trim();
  return t ? t : undefined;
}

export interface EnvSettings {
  host?: string | undefined;
  /** Which variable supplied the host (for messages). */
  hostSource?: string | undefined;
  token?: string | undefined;
  namespace?: string | undefined;
  tokenFile?: string | undefined;
  logLevel?: string | undefined;
  inCluster: boolean;
}

export function readEnv(env: Env): EnvSettings {
  const kfpHost = nonEmpty(env.KFP_HOST);
  const sdkHost = nonEmpty(env.KF_PIPELINES_ENDPOINT);
  return {
    host: kfpHost ?? sdkHost,
    hostSource: kfpHost ? "KFP_HOST" : sdkHost ? "KF_PIPELINES_ENDPOINT" : undefined,
    token: nonEmpty(env.KFP_TOKEN),
    namespace: nonEmpty(env.KFP_NAMESPACE),
    tokenFile: nonEmpty(env.KF_PIPELINES_SA_TOKEN_PATH),
    logLevel: nonEmpty(env.KFP_LOG_LEVEL),
    inCluster: Boolean(nonEmpty(env.KUBERNETES_SERVICE_HOST)),
  };
}

export interface NormalizedHost {
  /** `scheme://host[:port]` */
  origin: string;
  /** Path prefix without trailing slash (`""` or e.g. `/pipeline`). */
  basePath: string;
  /** True when a scheme was added. */
  schemeAdded: boolean;
}

function isLocalHostname(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, "");
  return (
    h === "localhost" ||
    h.endsWith(".localhost") ||
    /^127\.\d+\.\d+\.\d+$/.test(h) ||
    h === "::1" ||
    h === "0.0.0.0" ||
    h.endsWith(".svc") ||
    h.endsWith(".svc.cluster.local")
  );
}

/**
 * Parse a host option. Without a scheme, `http://` is assumed for loopback names (`localhost`,
 * `127.x.x.x`, `::1`) and in-cluster service names (`*.svc`, `*.svc.cluster.local`), `https://` for
 * anything else. Query strings, fragments and credentials in the host are refused.
 */
export function normalizeHost(raw: string): NormalizedHost {
  const input = raw.trim();
  if (!input) throw new ValidationError("host must not be empty", { field: "host" });
  let withScheme = input;
  let schemeAdded = false;
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(input)) {
    const hostPart = input.split(/[/?#]/, 1)[0] ?? "";
    const hostname = hostPart.startsWith("[")
      ? hostPart.slice(0, hostPart.indexOf("]") + 1)
      : hostPart.split(":")[0];
    withScheme = `${isLocalHostname(hostname ?? "") ? "http" : "https"}://${input}`;
    schemeAdded = true;
  }
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new ValidationError(
      `host is not a valid URL: ${JSON.stringify(input.replace(/\/\/[^@/]*@/, "//***@"))}`,
      {
        field: "host",
      },
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ValidationError(`host must use http or https, got ${url.protocol}`, { field: "host" });
  }
  if (url.username || url.password) {
    throw new ValidationError(
      "host must not contain credentials (user:password@); use the token, cookies or headers options",
      { field: "host" },
    );
  }
  if (url.search || url.hash) {
    throw new ValidationError("host must not contain a query string or a fragment", { field: "host" });
  }
  const basePath = url.pathname.replace(/\/+$/, "");
  return { origin: url.origin, basePath, schemeAdded };
}

export const MISSING_HOST_MESSAGE =
  'No KFP host configured. Pass `host` (e.g. new Kfp({ host: "http://localhost:8888" }) after `kubectl port-forward -n kubeflow svc/ml-pipeline 8888:8888`), or set the KFP_HOST (or KF_PIPELINES_ENDPOINT) environment variable.';
