/**
 * The contract checker itself: it must accept what the real server sends (examples from FACTS.md) and
 * reject what it never sends, or the contract tests would pass vacuously.
 */
import { describe, expect, it } from "vitest";
import { multipartPartHeaders, specAvailable, swaggers } from "./swagger.js";

const JSON_CT = "application/json";

describe.skipIf(!specAvailable)("swagger contract checker", () => {
  const sw = () => swaggers().v2beta1;

  it("accepts the real server's upload response and empty responses (FACTS.md §2.1, §4.2)", () => {
    const pipeline = {
      pipeline_id: "3c1a2b9e-4d1f-4c63-9d0f-2f3a4b5c6d7e",
      display_name: "my-pipe",
      name: "my-pipe",
      description: "...",
      created_at: "2026-08-21T21:10:03Z",
      namespace: "ns1",
      tags: { k: "v" },
    };
    expect(
      sw().checkResponse("POST", "/apis/v2beta1/pipelines/upload", 200, JSON_CT, JSON.stringify(pipeline))
        .problems,
    ).toEqual([]);
    expect(sw().checkResponse("GET", "/apis/v2beta1/runs", 200, JSON_CT, "{}").problems).toEqual([]);
    expect(sw().checkResponse("POST", "/apis/v2beta1/runs/abc:archive", 200, JSON_CT, "{}").problems).toEqual(
      [],
    );
    const status = {
      code: 5,
      message: "Failed to get a run: Failed to fetch run 123: ResourceNotFoundError: Run 123 not found",
      details: [{ "@type": "type.googleapis.com/google.rpc.Status", code: 5, message: "Run 123 not found" }],
    };
    expect(
      sw().checkResponse("GET", "/apis/v2beta1/runs/123", 404, JSON_CT, JSON.stringify(status)).problems,
    ).toEqual([]);
    const health = {
      commit_sha: "unknown",
      tag_name: "unknown",
      multi_user: false,
      pipeline_store: "database",
    };
    expect(
      sw().checkResponse("GET", "/apis/v2beta1/healthz", 200, JSON_CT, JSON.stringify(health)).problems,
    ).toEqual([]);
    const uploadErr = { error_message: "Failed to read pipeline from file", error_details: "x\nstack" };
    expect(
      sw().checkResponse(
        "POST",
        "/apis/v2beta1/pipelines/upload",
        400,
        "text/plain; charset=utf-8",
        JSON.stringify(uploadErr),
      ).problems,
    ).toEqual([]);
    expect(
      sw().checkResponse(
        "POST",
        "/apis/v2beta1/pipelines/upload",
        400,
        "text/plain; charset=utf-8",
        "Invalid input error: x\n",
      ).problems,
    ).toEqual([]);
  });

  it("rejects unknown keys, int64 numbers, fractional timestamps, camelCase list keys and bad enums", () => {
    const bad = (path: string, body: unknown, method = "GET") =>
      sw().checkResponse(method, path, 200, JSON_CT, JSON.stringify(body)).problems;
    expect(bad("/apis/v2beta1/runs/1", { run_id: "1", runId: "1" })).not.toEqual([]);
    expect(bad("/apis/v2beta1/recurringruns/1", { recurring_run_id: "1", max_concurrency: 1 })).not.toEqual(
      [],
    );
    expect(bad("/apis/v2beta1/runs/1", { run_id: "1", created_at: "2026-08-21T21:10:03.123Z" })).not.toEqual(
      [],
    );
    expect(bad("/apis/v2beta1/runs/1", { run_id: "1", state: "DONE" })).not.toEqual([]);
    expect(bad("/apis/v2beta1/recurringruns", { recurring_runs: [] })).not.toEqual([]);
    expect(bad("/apis/v2beta1/runs", { runs: [], total_size: "3" })).not.toEqual([]);
    expect(bad("/apis/v2beta1/runs/1:archive", { ok: true }, "POST")).not.toEqual([]);
    expect(
      sw().checkResponse("GET", "/apis/v2beta1/runs/1", 404, JSON_CT, '{"error":"x"}').problems,
    ).not.toEqual([]);
    expect(
      sw().checkResponse("GET", "/apis/v2beta1/runs/1", 200, "text/html", "<html>").problems,
    ).not.toEqual([]);
  });

  it("matches paths like grpc-gateway: custom verbs, literals before parameters", () => {
    expect(sw().match("POST", "/apis/v2beta1/runs/abc:terminate")?.operationId).toBe(
      "RunService_TerminateRun",
    );
    expect(sw().match("GET", "/apis/v2beta1/runs/abc")?.operationId).toBe("RunService_GetRun");
    expect(sw().match("POST", "/apis/v2beta1/pipelines/upload")?.operationId).toBe("UploadPipeline");
    expect(sw().match("GET", "/apis/v2beta1/pipelines/names/x")?.operationId).toBe(
      "PipelineService_GetPipelineByName",
    );
    expect(sw().match("PUT", "/apis/v2beta1/runs")).toBeUndefined();
    expect(swaggers().v2.match("GET", "/apis/v2/runs/r/tasks/t")?.operationId).toBe("get_task");
    expect(swaggers().v1beta1.match("POST", "/apis/v1beta1/runs/r/terminate")?.operationId).toBe(
      "RunService_TerminateRunV1",
    );
  });

  it("rejects requests with undeclared query parameters, unknown body fields or a bad upload", () => {
    const req = (method: string, p: string, query: string, body?: unknown, contentType = JSON_CT) =>
      sw().checkRequest({
        method,
        path: p,
        query: new URLSearchParams(query),
        contentType,
        body: Buffer.from(body === undefined ? "" : typeof body === "string" ? body : JSON.stringify(body)),
      }).problems;
    expect(req("GET", "/apis/v2beta1/runs", "page_size=10&namespace=ns&sort_by=created_at%20desc")).toEqual(
      [],
    );
    expect(req("GET", "/apis/v2beta1/runs", "pageSize=10")).not.toEqual([]);
    expect(req("GET", "/apis/v2beta1/runs", "page_size=ten")).not.toEqual([]);
    expect(req("GET", "/apis/v2beta1/runs", "view=FULL")).not.toEqual([]); // v2 only
    expect(
      swaggers().v2.checkRequest({
        method: "GET",
        path: "/apis/v2/runs",
        query: new URLSearchParams("view=FULL"),
        contentType: undefined,
        body: Buffer.alloc(0),
      }).problems,
    ).toEqual([]);
    expect(req("DELETE", "/apis/v2beta1/recurringruns/x", "propagation_policy=SOMETIMES")).not.toEqual([]);
    expect(req("POST", "/apis/v2beta1/experiments", "", { display_name: "x", namespace: "ns" })).toEqual([]);
    expect(req("POST", "/apis/v2beta1/experiments", "", { displayName: "x" })).not.toEqual([]);
    expect(
      req("POST", "/apis/v2beta1/runs", "", { display_name: "x", runtime_config: { parameters: { a: 1 } } }),
    ).toEqual([]);
    expect(
      req("POST", "/apis/v2beta1/recurringruns", "", {
        display_name: "x",
        max_concurrency: 2,
        mode: "ENABLE",
      }),
    ).toEqual([]);
    expect(req("POST", "/apis/v2beta1/recurringruns", "", { display_name: "x", mode: "ON" })).not.toEqual([]);
    expect(req("POST", "/apis/v2beta1/runs/x:archive", "", { force: true })).not.toEqual([]);
    const boundary = "b0undary";
    const multipart = (field: string, filename?: string) =>
      `--${boundary}\r\nContent-Disposition: form-data; name="${field}"${filename ? `; filename="${filename}"` : ""}\r\n\r\nx\r\n--${boundary}--\r\n`;
    const ct = `multipart/form-data; boundary=${boundary}`;
    expect(
      req("POST", "/apis/v2beta1/pipelines/upload", "name=a", multipart("uploadfile", "p.yaml"), ct),
    ).toEqual([]);
    expect(req("POST", "/apis/v2beta1/pipelines/upload", "", multipart("file", "p.yaml"), ct)).not.toEqual(
      [],
    );
    expect(req("POST", "/apis/v2beta1/pipelines/upload", "", multipart("uploadfile"), ct)).not.toEqual([]);
    expect(req("POST", "/apis/v2beta1/pipelines/upload", "", "{}", JSON_CT)).not.toEqual([]);
    expect(
      req("POST", "/apis/v2beta1/pipelines/upload", "pipeline_name=a", multipart("uploadfile", "p.yaml"), ct),
    ).not.toEqual([]);
  });

  it("parses multipart part headers", () => {
    const body = Buffer.from(
      '--X\r\nContent-Disposition: form-data; name="uploadfile"; filename="a.yaml"\r\nContent-Type: application/x-yaml\r\n\r\nabc\r\n--X--\r\n',
    );
    expect(multipartPartHeaders("multipart/form-data; boundary=X", body)).toEqual([
      { name: "uploadfile", filename: "a.yaml", contentType: "application/x-yaml" },
    ]);
    expect(multipartPartHeaders('multipart/form-data; boundary="X"', body)?.length).toBe(1);
    expect(multipartPartHeaders("multipart/form-data; boundary=Y", body)).toBeUndefined();
  });
});
