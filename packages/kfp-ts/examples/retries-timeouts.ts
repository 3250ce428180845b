// Timeouts, retries and cancellation. Every call is retried on connection errors, 5xx of idempotent calls,
// and 429/503 (honouring Retry-After) with exponential backoff; creates are never sent twice.
//   KFP_HOST=... npx tsx retries-timeouts.ts
import { AbortError, ApiError, ConnectionError, Kfp, TimeoutError } from "kfp-ts";

const kfp = new Kfp({
  timeout: 20_000, // per attempt: connecting, waiting for the answer, or any pause in its body
  maxRetries: 4, // after the first attempt
  retry: { baseDelay: 250, maxDelay: 4_000, maxRetryAfter: 30_000 },
});

try {
  // One call with its own budget: a quick check that should not wait long or retry.
  const health = await kfp.healthz.get({ timeout: 2_000, maxRetries: 0 });
  console.log(`server ${health.tag_name ?? "up"}`);

  // A deadline for the whole call, retries included: cancel with an AbortSignal.
  const page = await kfp.experiments.list({ page_size: 10 }, { signal: AbortSignal.timeout(10_000) });
  console.log(`${page.total_size} experiments`);

  // A client with other settings shares the connection pool.
  const patient = kfp.withOptions({ timeout: 120_000, maxRetries: 8 });
  const runs = await patient.runs.list({ page_size: 1 });
  console.log(`${runs.total_size} runs`);
} catch (err) {
  if (err instanceof TimeoutError) console.error(`timed out: ${err.message}`);
  else if (err instanceof AbortError) console.error("cancelled");
  else if (err instanceof ConnectionError) console.error(`cannot reach ${kfp.host}: ${err.message}`);
  else if (err instanceof ApiError) console.error(`${err.status} ${err.shortMessage}`);
  else throw err;
  process.exitCode = 1;
} finally {
  await kfp.close();
}
