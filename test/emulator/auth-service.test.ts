/**
 * AuthService (FACTS.md §1, §14, §S.1): `GET /apis/v1beta1/auth` and `GET /apis/v2/auth` answer `{}` when
 * the request is valid and authorized; `/apis/v2beta1/auth` is not served (gateway 404).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../packages/emulator/src/index.js";
import { call } from "./helpers/http.js";

const Q = "namespace=ns-a&resources=VIEWERS&verb=CREATE";

describe("AuthService (single-user)", () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startEmulator();
  });
  afterAll(async () => {
    await emu?.close();
  });

  it("allows every valid request; v2beta1 does not serve it", async () => {
    for (const api of ["v1beta1", "v2"]) {
      const r = await call(emu.url, "GET", `/apis/${api}/auth?${Q}`);
      expect(r.status, r.text).toBe(200);
      expect(r.body).toEqual({});
      // Enum values by number, as the gateway accepts them.
      expect((await call(emu.url, "GET", `/apis/${api}/auth?namespace=x&resources=1&verb=3`)).status).toBe(
        200,
      );
      expect((await call(emu.url, "POST", `/apis/${api}/auth?${Q}`)).status).toBe(501);
    }
    const beta = await call(emu.url, "GET", `/apis/v2beta1/auth?${Q}`);
    expect(beta.status).toBe(404);
    expect(beta.body).toEqual({ code: 5, message: "Not Found" });
  });

  it("400 for a missing namespace, resources or verb (v1 messages end with a period); bad enum → 400", async () => {
    const cases: [string, string][] = [
      ["resources=VIEWERS&verb=GET", "Namespace is empty. Please specify a valid namespace"],
      ["namespace=a&verb=GET", "Resources not specified. Please specify a valid resources"],
      ["namespace=a&resources=VIEWERS", "Verb not specified. Please specify a valid verb"],
    ];
    for (const [q, msg] of cases) {
      const v2 = await call(emu.url, "GET", `/apis/v2/auth?${q}`);
      expect(v2.status).toBe(400);
      expect(v2.body.code).toBe(3);
      expect(v2.body.message).toBe(`Authorize request is not valid: Invalid input error: ${msg}`);
      const v1 = await call(emu.url, "GET", `/apis/v1beta1/auth?${q}`);
      expect(v1.status).toBe(400);
      expect(v1.body.message).toBe(`Authorize request is not valid: Invalid input error: ${msg}.`);
    }
    expect(
      (await call(emu.url, "GET", "/apis/v2/auth?namespace=a&resources=PIPELINES&verb=GET")).status,
    ).toBe(400);
  });
});

describe("AuthService (multi-user)", () => {
  let emu: Emulator;
  const alice = { "kubeflow-userid": "alice@example.com" };
  beforeAll(async () => {
    emu = await startEmulator({ multiUser: { users: { "alice@example.com": { namespaces: ["ns-a"] } } } });
  });
  afterAll(async () => {
    await emu?.close();
  });

  it("200 in a granted namespace, 403 elsewhere (viewers are a kubeflow.org resource), 401 without identity", async () => {
    expect((await call(emu.url, "GET", `/apis/v2/auth?${Q}`, undefined, alice)).status).toBe(200);
    const denied = await call(
      emu.url,
      "GET",
      "/apis/v2/auth?namespace=ns-b&resources=VIEWERS&verb=GET",
      undefined,
      alice,
    );
    expect(denied.status).toBe(403);
    expect(denied.body.code).toBe(7);
    expect(denied.body.message).toMatch(/^Failed to authorize the request: /);
    expect(denied.body.message).toContain(
      "Namespace:ns-b,Verb:get,Group:kubeflow.org,Version:v1beta1,Resource:viewers",
    );
    const anonymous = await call(emu.url, "GET", `/apis/v1beta1/auth?${Q}`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.code).toBe(16);
    // A namespace in capitals is checked in lower case, as upstream lowercases it.
    expect(
      (
        await call(
          emu.url,
          "GET",
          "/apis/v2/auth?namespace=NS-A&resources=VIEWERS&verb=DELETE",
          undefined,
          alice,
        )
      ).status,
    ).toBe(200);
  });
});
