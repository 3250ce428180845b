/** Pipeline specs made for the browser tests: a chain of container tasks with typed parameters. */

export interface ChainOptions {
  name: string;
  tasks: string[];
  /** Root parameters: name → [parameterType, default?]. */
  parameters?: Record<string, [string, unknown?]>;
}

/** A compiled-style spec: tasks run one after another, each passing `out` to the next. */
export function chainSpec(o: ChainOptions): { pipelineInfo: { name: string }; [key: string]: unknown } {
  const components: Record<string, unknown> = {};
  const executors: Record<string, unknown> = {};
  const tasks: Record<string, unknown> = {};
  o.tasks.forEach((t, i) => {
    components[`comp-${t}`] = {
      executorLabel: `exec-${t}`,
      ...(i > 0 ? { inputDefinitions: { parameters: { prev: { parameterType: "STRING" } } } } : {}),
      outputDefinitions: { parameters: { out: { parameterType: "STRING" } } },
    };
    executors[`exec-${t}`] = { container: { image: `python:3.12-${t}`, command: ["echo"], args: [t] } };
    const prev = o.tasks[i - 1];
    tasks[t] = {
      componentRef: { name: `comp-${t}` },
      taskInfo: { name: t },
      ...(prev
        ? {
            dependentTasks: [prev],
            inputs: {
              parameters: {
                prev: { taskOutputParameter: { producerTask: prev, outputParameterKey: "out" } },
              },
            },
          }
        : {}),
    };
  });
  const parameters: Record<string, unknown> = {};
  for (const [k, [type, def]] of Object.entries(o.parameters ?? {})) {
    parameters[k] =
      def === undefined
        ? { parameterType: type }
        : { parameterType: type, defaultValue: def, isOptional: true };
  }
  return {
    pipelineInfo: { name: o.name },
    components,
    deploymentSpec: { executors },
    root: { dag: { tasks }, ...(Object.keys(parameters).length ? { inputDefinitions: { parameters } } : {}) },
    schemaVersion: "2.1.0",
    sdkVersion: "kfp-2.13.0",
  };
}
