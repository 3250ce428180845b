export type CommandKind = "python" | "shell" | "pip" | "image";
export function containerKind(container: Record<string, unknown>): CommandKind;
export function packageKind(spec: Record<string, unknown>): CommandKind;
