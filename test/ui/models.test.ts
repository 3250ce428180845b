/** The web UI's pure models: run → node states, the parameter form, curl, part previews, YAML. */
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { specToGraph } from "../../packages/ui/src/model/graph.js";
import {
  describePart,
  type InspectedRequest,
  matchesFilter,
  partPreview,
  prettyJson,
  shellQuote,
  toCurl,
} from "../../packages/ui/src/model/inspected.js";
import { formFields, readForm } from "../../packages/ui/src/model/param-form.js";
import { formatDuration, nodeStates, stateClass } from "../../packages/ui/src/model/run-states.js";
import { toYaml } from "../../packages/ui/src/model/yaml.js";
import { specYaml } from "../helpers/specs.js";

const paramSpec = {
  root: {
    dag: { tasks: {} },
    inputDefinitions: {
      parameters: {
        count: { parameterType: "NUMBER_INTEGER" },
        rate: { parameterType: "NUMBER_DOUBLE", defaultValue: 0.5, isOptional: true },
        name: { parameterType: "STRING", defaultValue: "x", isOptional: true },
        flag: { parameterType: "BOOLEAN", defaultValue: true, isOptional: true },
        items: { parameterType: "LIST", defaultValue: [1, 2], isOptional: true },
        conf: { parameterType: "STRUCT", isOptional: true },
      },
    },
  },
};

describe("parameter form", () => {
  it("one field per parameter with a control and initial text from the default", () => {
    const f = formFields(paramSpec);
    expect(f.map((x) => [x.name, x.control, x.required, x.initial])).toEqual([
      ["count", "number", true, ""],
      ["rate", "number", false, "0.5"],
      ["name", "text", false, "x"],
      ["flag", "checkbox", false, "true"],
      ["items", "json", false, "[\n  1,\n  2\n]"],
      ["conf", "json", false, ""],
    ]);
  });

  it("typed values from text; checked before sending", () => {
    const fields = formFields(paramSpec);
    const ok = readForm(paramSpec, fields, { count: "3", rate: "1.5", flag: "false", conf: '{"a":1}' });
    expect(ok.problems).toEqual([]);
    expect(ok.parameters).toEqual({
      count: 3,
      rate: 1.5,
      name: "x",
      flag: false,
      items: [1, 2],
      conf: { a: 1 },
    });
  });

  it("a missing required value, a non-integer and bad JSON are each named", () => {
    const fields = formFields(paramSpec);
    expect(readForm(paramSpec, fields, {}).problems).toEqual(["count: a value is required (integer)"]);
    expect(readForm(paramSpec, fields, { count: "2.5" }).problems).toEqual(['count: "2.5" is not integer']);
    expect(readForm(paramSpec, fields, { count: "1", items: "[1," }).problems).toEqual([
      'items: "[1," is not JSON list, e.g. [1, 2]',
    ]);
    // JSON that parses but is the wrong kind is caught by the library's own check.
    const wrong = readForm(paramSpec, fields, { count: "1", items: '{"a":1}' });
    expect(wrong.problems).toHaveLength(1);
    expect(wrong.problems[0]).toContain("items");
  });
});

describe("run → node states", () => {
  const spec = parse(specYaml("s"));
  const nodes = specToGraph(spec).nodes;
  const run = (states: string[]) => ({
    run_details: {
      task_details: [
        { task_id: "d", display_name: "echo-driver", state: "FAILED" },
        ...states.map((s, i) => ({
          task_id: `t${i}`,
          display_name: "echo",
          state: s,
          state_history: [{ update_time: "2026-01-01T00:00:00Z", state: s }],
          error: s === "FAILED" ? { code: 2, message: "boom" } : undefined,
        })),
      ],
    },
  });

  it("drivers are not tasks; one instance gives its state", () => {
    expect(nodeStates(nodes, run(["RUNNING"])).get("echo")?.state).toBe("RUNNING");
    expect(nodeStates(nodes, run([])).size).toBe(0);
  });

  it("loop instances: a failure wins, then running, then success", () => {
    expect(nodeStates(nodes, run(["SUCCEEDED", "FAILED", "RUNNING"])).get("echo")?.state).toBe("FAILED");
    expect(nodeStates(nodes, run(["SUCCEEDED", "RUNNING"])).get("echo")?.state).toBe("RUNNING");
    const s = nodeStates(nodes, run(["SUCCEEDED", "FAILED"])).get("echo");
    expect(s?.instances.map((i) => i.error)).toEqual([undefined, "boom"]);
  });

  it("v2 `tasks` are read too; unknown states get the unknown class", () => {
    expect(nodeStates(nodes, { tasks: [{ display_name: "echo", state: "CACHED" }] }).get("echo")?.state).toBe(
      "CACHED",
    );
    expect(stateClass("SUCCEEDED")).toBe("state-succeeded");
    expect(stateClass("WEIRD")).toBe("state-unknown");
    expect(formatDuration(125)).toBe("2m 05s");
    expect(formatDuration(undefined)).toBe("–");
  });
});

describe("inspector helpers", () => {
  const upload: InspectedRequest = {
    seq: 1,
    time: "2026-01-01T00:00:00Z",
    method: "POST",
    path: "/apis/v2beta1/pipelines/upload",
    query: { name: "it's" },
    headers: {
      host: "127.0.0.1:1",
      authorization: "[redacted]",
      "content-type": "multipart/form-data; boundary=x",
    },
    status: 200,
    duration_ms: 3,
    body: {
      size: 300,
      parts: [
        {
          name: "uploadfile",
          filename: "p.yaml",
          content_type: "application/x-yaml",
          size: 250,
          head: "# PIPELINE DEFINITION\n",
        },
      ],
    },
  };

  it("curl: quoted URL with the query, redacted header kept redacted, multipart as -F", () => {
    expect(toCurl(upload, "http://h:1/")).toBe(
      [
        "curl -X POST 'http://h:1/apis/v2beta1/pipelines/upload?name=it%27s'",
        "-H 'authorization: [redacted]'",
        "-F 'uploadfile=@p.yaml;type=application/x-yaml'",
      ].join(" \\\n  "),
    );
    expect(shellQuote("a'b")).toBe("'a'\\''b'");
  });

  it("curl: a JSON body that was cut says so", () => {
    const r = { ...upload, headers: {}, query: {}, body: { size: 1000, prefix: '{"a":' } };
    expect(toCurl(r, "http://h")).toContain("# the body was 1000 bytes: the inspector kept the first 5");
  });

  it("parts are described from their first bytes; filters by path and status", () => {
    expect(describePart(upload.body!.parts![0]!)).toBe("YAML pipeline package");
    expect(describePart({ name: "uploadfile", filename: "x", size: 9, head: "PK\u0003\u0004rest" })).toBe(
      "zip archive",
    );
    expect(describePart({ name: "name", size: 2, head: "ab" })).toBe("form field");
    expect(matchesFilter(upload, { path: "UPLOAD", status: "2xx" })).toBe(true);
    expect(matchesFilter(upload, { status: "error" })).toBe(false);
    expect(matchesFilter({ ...upload, status: 0 }, { status: "error" })).toBe(true);
    expect(prettyJson('{"a":[1]}')).toBe('{\n  "a": [\n    1\n  ]\n}');
    expect(prettyJson("{nope")).toBeUndefined();
    expect(
      partPreview({
        name: "f",
        filename: "a.zip",
        size: 99,
        head: "PK\u0003\u0004",
        preview: "PK\u0003\u0004more\u0000",
      }),
    ).toBe("PK··more·");
    expect(partPreview({ name: "f", size: 2, head: "ab" })).toBe("ab");
  });
});

describe("toYaml", () => {
  it("round-trips through a YAML parser", () => {
    const values = [
      parse(specYaml("rt")),
      {
        a: "true",
        b: "1.5",
        c: "",
        d: "x: y",
        e: "line\nbreak",
        f: [[1, 2], [], {}],
        g: { "k with space": null },
      },
      { list: [{ a: 1, b: [true, false] }, "- dash", "#hash"] },
    ];
    for (const v of values) expect(parse(toYaml(v))).toEqual(v);
  });
});
