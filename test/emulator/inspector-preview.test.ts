/**
 * What the inspector keeps for the web UI's Requests page: a file part's longer `preview` (a package's
 * header and first keys; redacted for a secret-looking part name, absent for a part of ≤ 64 bytes)
 * and each request's `response` (content type, size, first 256 characters).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PREVIEW_BYTES } from "../../packages/emulator/src/http/inspector.js";
import { type Emulator, startEmulator } from "../../packages/emulator/src/index.js";
import { call, MINIMAL_SPEC, upload } from "./helpers/http.js";

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator({});
});
afterAll(async () => {
  await emu?.close();
});

describe("inspector: previews and responses", () => {
  it("an uploaded package: head is 64 bytes, preview the first PREVIEW_BYTES; the response is summarised", async () => {
    emu.clearRequests();
    const spec = `${MINIMAL_SPEC()}\n${"# padding line to make the package longer than the preview\n".repeat(40)}`;
    expect(spec.length).toBeGreaterThan(PREVIEW_BYTES);
    const r = await upload(
      emu.url,
      "/apis/v2beta1/pipelines/upload",
      { filename: "p.yaml", data: spec },
      { name: "previewed" },
    );
    expect(r.status, r.text).toBe(200);
    const [entry] = emu.requests();
    const part = entry!.body!.parts![0]!;
    expect(part.head).toBe(spec.slice(0, 64));
    expect(part.preview).toBe(spec.slice(0, PREVIEW_BYTES));
    expect(entry!.response).toEqual({
      content_type: "application/json",
      size: Buffer.byteLength(r.text),
      prefix: r.text.slice(0, 256),
    });
  });

  it("a secret-looking part name: head and preview redacted; a short part has no preview", async () => {
    emu.clearRequests();
    await upload(emu.url, "/apis/v2beta1/pipelines/upload", [
      { name: "uploadfile", filename: "x.yaml", data: "short: yes\n" },
      { name: "token", filename: "t.txt", data: "s3cr3t-".repeat(40) },
    ]);
    const parts = emu.requests()[0]!.body!.parts!;
    const byName = Object.fromEntries(parts.map((p) => [p.name, p]));
    expect(byName.uploadfile).toMatchObject({ head: "short: yes\n" });
    expect(byName.uploadfile!.preview).toBeUndefined();
    expect(byName.token).toMatchObject({ head: "[redacted]", preview: "[redacted]" });
    expect(JSON.stringify(emu.requests())).not.toContain("s3cr3t");
  });

  it("an error answer is summarised too; a dropped connection has no response", async () => {
    emu.clearRequests();
    const r = await call(emu.url, "GET", "/apis/v2beta1/pipelines/nope");
    expect(r.status).toBe(404);
    const entry = emu.requests()[0]!;
    expect(entry.response?.prefix).toBe(r.text.slice(0, 256));
    expect(entry.response?.content_type).toBe("application/json");
    emu.faults.add([{ path: "^/apis/v2beta1/experiments$", action: "reset-before-body", times: 1 }]);
    await call(emu.url, "GET", "/apis/v2beta1/experiments").catch(() => undefined);
    const dropped = emu.requests().find((e) => e.path === "/apis/v2beta1/experiments");
    expect(dropped?.status).toBe(0);
    expect(dropped?.response).toBeUndefined();
  });
});
