/** Small HTTP helpers for emulator tests (global fetch; no client code). */
export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  body: any;
}

export async function call(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === "string" ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)["content-type"] ??= "application/json";
  }
  const res = await fetch(base + path, init);
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, text, body: parsed };
}

export interface Part {
  name: string;
  filename?: string;
  contentType?: string;
  data: Buffer | string;
}

/** A multipart/form-data body built by hand (so tests control every detail of the parts). */
export function multipart(parts: Part[]): { body: Buffer; contentType: string } {
  const boundary = `----kfp-ts-test-${Math.random().toString(16).slice(2)}`;
  const chunks: Buffer[] = [];
  for (const p of parts) {
    let disp = `form-data; name="${p.name}"`;
    if (p.filename !== undefined) disp += `; filename="${p.filename}"`;
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: ${disp}\r\nContent-Type: ${p.contentType ?? "application/octet-stream"}\r\n\r\n`,
      ),
    );
    chunks.push(Buffer.isBuffer(p.data) ? p.data : Buffer.from(p.data));
    chunks.push(Buffer.from("\r\n"));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** POST a file as the `uploadfile` part. */
export async function upload(
  base: string,
  path: string,
  file: { filename: string; data: Buffer | string } | Part[],
  query: Record<string, string> = {},
  headers: Record<string, string> = {},
): Promise<Reply> {
  const parts = Array.isArray(file)
    ? file
    : [{ name: "uploadfile", filename: file.filename, data: file.data }];
  const { body, contentType } = multipart(parts);
  const qs = new URLSearchParams(query).toString();
  const res = await fetch(`${base}${path}${qs ? `?${qs}` : ""}`, {
    method: "POST",
    body,
    headers: { "content-type": contentType, ...headers },
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, text, body: parsed };
}

export const MINIMAL_SPEC = (name = "my-pipe") => `# PIPELINE DEFINITION
# Name: ${name}
components:
  comp-echo:
    executorLabel: exec-echo
deploymentSpec:
  executors:
    exec-echo:
      container:
        command: [echo, hi]
        image: alpine
pipelineInfo:
  name: ${name}
root:
  dag:
    tasks:
      echo:
        componentRef:
          name: comp-echo
        taskInfo:
          name: echo
schemaVersion: 2.1.0
sdkVersion: kfp-2.13.0
`;
