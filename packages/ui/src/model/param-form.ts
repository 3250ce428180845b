/**
 * The run parameter form generated from a pipeline spec (pure): one field per root input parameter,
 * typed by its `parameterType`; `readForm` turns the text the user typed into typed values, and the
 * library's own check (`findParameterProblems`) then holds them to the spec before anything is sent.
 */
import { findParameterProblems, type ParameterType, runParameterDefinitions } from "kfp-ts";

export type FieldControl = "text" | "number" | "checkbox" | "json" | "select";

export interface FormField {
  name: string;
  type: ParameterType;
  control: FieldControl;
  required: boolean;
  /** The initial value as the control shows it (text, or "true"/"false" for a checkbox). */
  initial: string;
  description?: string;
  /** Allowed values (spec `literals`), as JSON text. */
  options?: string[];
  /** What the field takes, for its hint. */
  hint: string;
}

const HINTS: Partial<Record<ParameterType, string>> = {
  NUMBER_INTEGER: "integer",
  NUMBER_DOUBLE: "number",
  STRING: "text",
  BOOLEAN: "true / false",
  LIST: "JSON list, e.g. [1, 2]",
  STRUCT: 'JSON object, e.g. {"a": 1}',
};

function controlOf(type: ParameterType, literals: unknown[] | undefined): FieldControl {
  if (literals?.length) return "select";
  if (type === "BOOLEAN") return "checkbox";
  if (type === "NUMBER_INTEGER" || type === "NUMBER_DOUBLE") return "number";
  if (type === "LIST" || type === "STRUCT") return "json";
  return "text";
}

function showValue(v: unknown, control: FieldControl): string {
  if (v === undefined) return control === "checkbox" ? "false" : "";
  if (control === "text" && typeof v === "string") return v;
  if (control === "checkbox") return v === true ? "true" : "false";
  if (control === "number" && typeof v === "number") return String(v);
  return JSON.stringify(v, null, control === "json" ? 2 : undefined);
}

/** The form's fields, in the spec's order. */
export function formFields(spec: unknown): FormField[] {
  return runParameterDefinitions(spec)
    .filter((d) => d.type !== "TASK_FINAL_STATUS")
    .map((d) => {
      const control = controlOf(d.type, d.literals);
      const f: FormField = {
        name: d.name,
        type: d.type,
        control,
        required: d.required,
        initial: showValue(d.defaultValue, control),
        hint: HINTS[d.type] ?? d.type,
      };
      if (d.description) f.description = d.description;
      if (d.literals) f.options = d.literals.map((l) => JSON.stringify(l));
      return f;
    });
}

export interface FormResult {
  /** Typed values to send (fields left empty are left out: the spec's default applies). */
  parameters: Record<string, unknown>;
  /** One message per problem, each naming the parameter; empty when the values may be sent. */
  problems: string[];
}

/** Typed parameters from the form's text values, checked against the spec by the library. */
export function readForm(
  spec: unknown,
  fields: readonly FormField[],
  values: Record<string, string>,
): FormResult {
  const parameters: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const f of fields) {
    const text = values[f.name] ?? f.initial;
    if (f.control === "checkbox") {
      parameters[f.name] = text === "true";
      continue;
    }
    if (text.trim() === "" && f.type !== "STRING") {
      if (f.required) problems.push(`${f.name}: a value is required (${f.hint})`);
      continue;
    }
    if (text === "" && f.type === "STRING" && !f.required) continue;
    try {
      if (f.control === "select" || f.control === "json") parameters[f.name] = JSON.parse(text);
      else if (f.type === "NUMBER_INTEGER") {
        if (!/^[-+]?\d+$/.test(text.trim())) throw new Error("not an integer");
        parameters[f.name] = Number(text.trim());
      } else if (f.type === "NUMBER_DOUBLE") {
        const n = Number(text.trim());
        if (!Number.isFinite(n)) throw new Error("not a number");
        parameters[f.name] = n;
      } else parameters[f.name] = text;
    } catch {
      problems.push(`${f.name}: "${text.length > 40 ? `${text.slice(0, 37)}...` : text}" is not ${f.hint}`);
    }
  }
  if (problems.length === 0) {
    for (const p of findParameterProblems(spec, parameters)) problems.push(p.message);
  }
  return { parameters, problems };
}
