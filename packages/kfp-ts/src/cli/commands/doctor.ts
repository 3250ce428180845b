/**
 * `kfp-ts doctor`: checks the current target one step at a time and says what to do about each
 * failure — host given, reachable, TLS, an auth proxy's login page, API versions, multi-user mode and
 * the namespace. Exit 0 when every check passes, 1 otherwise.
 */
import { Command } from "@commander-js/extra-typings";
import { type AnyCommand, type App, example, leafOptions } from "../app.js";
import type { CliContext } from "../context.js";
import { EXIT } from "../exit-codes.js";

export interface Check {
  check: string;
  ok: boolean;
  detail: string;
  /** What to do, for a failed check. */
  fix?: string;
}

const TLS_CODES = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "ERR_SSL_WRONG_VERSION_NUMBER",
]);

function codes(err: unknown): string[] {
  const out: string[] = [];
  let e: unknown = err;
  for (let i = 0; e && i < 6; i++) {
    const c = (e as { code?: unknown }).code;
    if (typeof c === "string") out.push(c);
    e = (e as { cause?: unknown }).cause;
  }
  return out;
}

/** Run the checks; stops at the first check the others depend on. */
export async function runChecks(ctx: CliContext): Promise<Check[]> {
  const checks: Check[] = [];
  const t = ctx.target;
  if (!t.host) {
    checks.push({
      check: "host",
      ok: false,
      detail: "no KFP server given",
      fix: "pass --host URL, set KFP_HOST, or save a context: kfp-ts config set-context NAME --host URL",
    });
    return checks;
  }
  checks.push({ check: "host", ok: true, detail: `${t.host} (from ${t.hostSource})` });
  const lib = await ctx.lib();
  const kfp = await ctx.client();
  let info: Awaited<ReturnType<typeof kfp.serverInfo>>;
  try {
    info = await kfp.serverInfo();
  } catch (err) {
    const cs = codes(err);
    const tls = cs.find((c) => TLS_CODES.has(c));
    if (tls) {
      checks.push({ check: "reachable", ok: true, detail: "a TLS server answers" });
      checks.push({
        check: "tls",
        ok: false,
        detail: `certificate not trusted (${tls})`,
        fix: t.caFile
          ? `the CA in ${t.caFile} does not sign the server's certificate: give the right --ca-file`
          : "pass the server's CA with --ca-file FILE (or, for a test cluster only, --insecure)",
      });
    } else if (err instanceof lib.AuthenticationError || err instanceof lib.PermissionDeniedError) {
      checks.push({ check: "reachable", ok: true, detail: `answers ${err.status}` });
      const html = /HTML page/.test(err.message);
      checks.push({
        check: "auth",
        ok: false,
        detail: html ? `${err.shortMessage}: likely an auth proxy's login page` : err.shortMessage,
        fix: html
          ? "pass a token the proxy accepts (--token-file with a service-account token, or --token), or point --host at the KFP API behind the proxy"
          : "pass a valid token (--token, --token-file, KFP_TOKEN)",
      });
    } else if (err instanceof lib.ConnectionError) {
      checks.push({
        check: "reachable",
        ok: false,
        detail: `${cs[0] ?? "no answer"}: ${err.message}`,
        fix: "check the host and port (kubectl port-forward -n kubeflow svc/ml-pipeline 8888:8888 → --host http://localhost:8888)",
      });
    } else {
      checks.push({
        check: "api",
        ok: false,
        detail: (err as Error).message,
        fix: "check that --host points at the KFP API (with its path prefix, e.g. https://host/pipeline)",
      });
    }
    return checks;
  }
  checks.push({ check: "reachable", ok: true, detail: "healthz answers" });
  if (t.host.startsWith("https:")) {
    checks.push({
      check: "tls",
      ok: true,
      detail: t.insecure
        ? "verification OFF (--insecure)"
        : t.caFile
          ? `verified with ${t.caFile}`
          : "verified",
    });
  }
  const served: string[] = [];
  for (const v of ["v2", "v2beta1", "v1beta1"]) {
    try {
      await kfp.request({ method: "GET", path: `/apis/${v}/healthz`, maxRetries: 0 });
      served.push(v);
    } catch {
      // not served
    }
  }
  checks.push({
    check: "api",
    ok: true,
    detail: `${served.join(", ") || info.apiVersion} served; using ${info.apiVersion}${info.tagName ? `; server ${info.tagName}` : ""}`,
  });
  if (!info.multiUser) {
    checks.push({ check: "mode", ok: true, detail: "single-user: no namespace needed" });
    return checks;
  }
  if (!t.namespace) {
    checks.push({
      check: "namespace",
      ok: false,
      detail: "multi-user server and no namespace given",
      fix: "pass -n NAMESPACE (or KFP_NAMESPACE, or --namespace in the context)",
    });
    return checks;
  }
  try {
    await kfp.experiments.list({ namespace: t.namespace, page_size: 1 });
    checks.push({ check: "namespace", ok: true, detail: `multi-user; namespace ${t.namespace} allowed` });
  } catch (err) {
    const auth = err instanceof lib.AuthenticationError;
    checks.push({
      check: auth ? "auth" : "namespace",
      ok: false,
      detail: err instanceof lib.ApiError ? err.shortMessage : (err as Error).message,
      fix: auth
        ? "pass a token (--token-file, --token, KFP_TOKEN)"
        : `ask for access to namespace ${t.namespace}, or use one you are a contributor of`,
    });
  }
  return checks;
}

export function doctorCommand(app: App): AnyCommand {
  const cmd = leafOptions(
    new Command("doctor").description("check the connection to the current target and say what to fix"),
  );
  example(cmd, "kfp-ts doctor", "kfp-ts --context prod doctor -o json");
  cmd.action(
    app.action(async (ctx) => {
      const checks = await runChecks(ctx);
      const ok = checks.every((c) => c.ok);
      if (ctx.output === "json" || ctx.output === "yaml") {
        const { printValue } = await import("../output.js");
        printValue(ctx, { ok, checks }, () => "");
      } else {
        const c = ctx.out;
        for (const k of checks) {
          ctx.io.stdout.write(
            `${k.ok ? c.green("✓ pass") : c.red("✗ fail")}  ${k.check.padEnd(10)} ${k.detail}${k.fix ? `\n              → ${k.fix}` : ""}\n`,
          );
        }
      }
      return ok ? EXIT.OK : EXIT.FAILED;
    }),
  );
  return cmd;
}
