// Multi-user Kubeflow: requests act in a profile namespace, authenticated with a token read from a file.
// In a pod, mount a projected service-account token with audience "pipelines.kubeflow.org"
// (KF_PIPELINES_SA_TOKEN_PATH points at it); the file is re-read when Kubernetes rotates it.
//   KFP_HOST=... KFP_TOKEN_FILE=/var/run/secrets/kubeflow/pipelines/token KFP_NAMESPACE=team-a npx tsx multi-user-token-file.ts
import { Kfp, PermissionDeniedError } from "kfp-ts";

const tokenFile = process.env.KFP_TOKEN_FILE ?? "/var/run/secrets/kubeflow/pipelines/token";
const namespace = process.env.KFP_NAMESPACE ?? "kubeflow-user-example-com";

const kfp = new Kfp({ tokenFile, namespace });
try {
  const info = await kfp.serverInfo();
  console.log(
    `KFP ${info.tagName ?? "(unknown version)"} on ${info.apiVersion}, multi-user: ${info.multiUser}`,
  );

  // Experiments and runs live in the namespace; the client's namespace is the default for every call.
  const experiment = await kfp.experiments.getOrCreate({ display_name: "examples" });
  console.log(`experiment ${experiment.display_name} in ${experiment.namespace ?? namespace}`);
  const runs = await kfp.runs.list({ experiment_id: experiment.experiment_id, page_size: 5 });
  console.log(`${runs.total_size} runs in it`);

  // Another namespace for one piece of work: a client that shares this one's connections.
  const other = kfp.withNamespace(`${namespace}-shared`);
  await other.experiments.list({ page_size: 1 }).catch((err: unknown) => {
    if (err instanceof PermissionDeniedError)
      console.log(`no access to ${other.namespace}: ${err.shortMessage}`);
    else throw err;
  });
} finally {
  await kfp.close();
}
