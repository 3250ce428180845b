/** Proxy variables select a proxy-aware dispatcher: requests tunnel through the proxy; NO_PROXY is honoured. */
import { createServer, type Server } from "node:http";
import { type AddressInfo, connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Kfp } from "../../packages/kfp-ts/src/client.js";
import { type Recorder, startRecorder } from "../helpers/recorder.js";

describe("HTTP(S)_PROXY", () => {
  let proxy: Server;
  let proxyUrl: string;
  const tunnels: string[] = [];
  const sockets = new Set<Socket>();
  let rec: Recorder;

  beforeAll(async () => {
    rec = await startRecorder();
    rec.fallback({ body: { pipeline_id: "via-proxy" } });
    proxy = createServer((_req, res) => {
      res.writeHead(400);
      res.end();
    });
    proxy.on("connect", (req, client: Socket, head: Buffer) => {
      tunnels.push(String(req.url));
      const [host, port] = String(req.url).split(":");
      const upstream = connect(Number(port), host, () => {
        client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
        upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on("error", () => {});
        s.on("close", () => sockets.delete(s));
      }
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => proxy.close(() => r()));
    await rec.close();
  });

  it("tunnels through the proxy named by HTTP_PROXY", async () => {
    const c = new Kfp({
      host: rec.url,
      apiVersion: "v2beta1",
      logLevel: "off",
      env: { HTTP_PROXY: proxyUrl },
    });
    expect((await c.pipelines.get("p")).pipeline_id).toBe("via-proxy");
    await c.close();
    expect(tunnels).toEqual([`127.0.0.1:${rec.port}`]);
  });

  it("goes direct for hosts in NO_PROXY", async () => {
    const c = new Kfp({
      host: rec.url,
      apiVersion: "v2beta1",
      logLevel: "off",
      env: { http_proxy: proxyUrl, no_proxy: "127.0.0.1" },
    });
    expect((await c.pipelines.get("p")).pipeline_id).toBe("via-proxy");
    await c.close();
    expect(tunnels).toHaveLength(1);
  });
});
