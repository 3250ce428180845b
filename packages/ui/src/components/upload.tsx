/**
 * Upload a pipeline package (or a new version of a pipeline) by dropping a file on the zone or
 * choosing it with the file input; the library checks the package and sends it as multipart.
 */
import type { Pipeline, PipelineVersion } from "kfp-ts";
import { useState } from "preact/hooks";
import { errorMessage } from "../api.js";
import { useApp } from "../context.js";

export interface UploadProps {
  /** Upload a version of this pipeline; a new pipeline when absent. */
  pipelineId?: string;
  onDone: (result: Pipeline | PipelineVersion) => void;
}

export function UploadZone({ pipelineId, onDone }: UploadProps) {
  const { kfp, settings } = useApp();
  const [name, setName] = useState("");
  const [over, setOver] = useState(false);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const what = pipelineId ? "a new version" : "a pipeline";

  const send = async (file: File) => {
    setBusy(true);
    setMessage(null);
    try {
      const base = { filename: file.name, ...(name.trim() ? { name: name.trim() } : {}) };
      const result = pipelineId
        ? await kfp.pipelines.uploadVersion(file, { ...base, pipeline_id: pipelineId })
        : await kfp.pipelines.upload(file, {
            ...base,
            ...(settings.namespace ? { namespace: settings.namespace } : {}),
          });
      setMessage({ ok: true, text: `Uploaded ${result.display_name ?? result.name ?? file.name}` });
      setName("");
      onDone(result);
    } catch (err) {
      setMessage({ ok: false, text: errorMessage(err) });
    } finally {
      setBusy(false);
    }
  };

  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: a drop target; the file input inside it is the keyboard way
    <div
      class={`dropzone${over ? " over" : ""}`}
      data-testid="dropzone"
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        e.preventDefault();
        setOver(false);
        const f = e.dataTransfer?.files[0];
        if (f) void send(f);
      }}
    >
      <p>Drop a package (.yaml, .json, .zip, .tar.gz) here to upload {what}, or choose one:</p>
      <div class="row">
        <label>
          {pipelineId ? "Version name" : "Pipeline name"} (optional){" "}
          <input
            value={name}
            onInput={(e) => setName((e.target as HTMLInputElement).value)}
            placeholder="from the file"
          />
        </label>
        <label class="file">
          File{" "}
          <input
            type="file"
            accept=".yaml,.yml,.json,.zip,.tgz,.gz"
            disabled={busy}
            aria-label={`Upload ${what}`}
            onChange={(e) => {
              const input = e.target as HTMLInputElement;
              const f = input.files?.[0];
              if (f) void send(f).finally(() => (input.value = ""));
            }}
          />
        </label>
      </div>
      {busy ? <p class="muted">Uploading…</p> : null}
      {message ? (
        <p class={message.ok ? "ok" : "error"} role={message.ok ? "status" : "alert"}>
          {message.text}
        </p>
      ) : null}
    </div>
  );
}
