/**
 * A small inline spec for execute mode (shell only, no Python): one `say` task that echoes a line to
 * stdout and to stderr, writes an output artifact `report` and an output parameter `Output`.
 */

/** The text the `say` task echoes (stdout) and writes into its `report` artifact. */
export const SAID = "hello from the say task";
export const SAID_ERR = "a line on stderr";
export const REPORT = "report body: 42 lines of findings";

export function sayPipeline(name: string): Record<string, unknown> {
  const script = [
    `echo '${SAID}'`,
    `echo '${SAID_ERR}' >&2`,
    'mkdir -p "$(dirname "$0")" "$(dirname "$1")"',
    `printf '%s' '${REPORT}' > "$0"`,
    `printf '%s' 'done' > "$1"`,
  ].join("; ");
  return {
    pipelineInfo: { name },
    schemaVersion: "2.1.0",
    sdkVersion: "kfp-2.14.3",
    components: {
      "comp-say": {
        executorLabel: "exec-say",
        outputDefinitions: {
          artifacts: {
            report: { artifactType: { schemaTitle: "system.Dataset", schemaVersion: "0.0.1" } },
          },
          parameters: { Output: { parameterType: "STRING" } },
        },
      },
    },
    deploymentSpec: {
      executors: {
        "exec-say": {
          container: {
            image: "alpine:3.20",
            command: ["sh", "-c"],
            args: [
              script,
              "{{$.outputs.artifacts['report'].path}}",
              "{{$.outputs.parameters['Output'].output_file}}",
            ],
          },
        },
      },
    },
    root: { dag: { tasks: { say: { componentRef: { name: "comp-say" }, taskInfo: { name: "say" } } } } },
  };
}

/**
 * A one-task pipeline whose `stream` task prints FIRST, waits (bounded: 20 s) until the file `gate`
 * exists, then prints SECOND: the test decides when the task ends, without sleeping itself.
 */
export const FIRST = "first line, before the gate";
export const SECOND = "second line, after the gate";

export function gatedPipeline(name: string, gate: string): Record<string, unknown> {
  const script = [
    `echo '${FIRST}'`,
    "i=0",
    `while [ ! -e "$0" ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done`,
    `echo '${SECOND}'`,
  ].join("; ");
  return {
    pipelineInfo: { name },
    schemaVersion: "2.1.0",
    sdkVersion: "kfp-2.14.3",
    components: { "comp-stream": { executorLabel: "exec-stream" } },
    deploymentSpec: {
      executors: {
        "exec-stream": { container: { image: "alpine:3.20", command: ["sh", "-c"], args: [script, gate] } },
      },
    },
    root: {
      dag: { tasks: { stream: { componentRef: { name: "comp-stream" }, taskInfo: { name: "stream" } } } },
    },
  };
}
