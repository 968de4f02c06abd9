// The catalogue of validation issue codes. An issue is data: the editor places it on
// the node and field it names, the CLI prints it, the API returns all of them at once.

export const ISSUE_CODES = {
  input_not_json: "the input is not valid JSON",
  input_too_large: "the input is larger than allowed",
  input_too_deep: "the input is nested too deeply",
  not_an_object: "a graph must be a JSON object",
  forbidden_key: "a key that could alter object prototypes is not allowed",
  reserved_name: "the name is reserved (every JavaScript object has a property of this name)",
  duplicate_key: "a key appears twice in one JSON object",
  not_a_finite_number: "a number is infinite or not a number",
  missing_version: "the graph has no version field",
  unsupported_version: "the graph version is not supported",
  bad_structure: "the graph does not follow the graph format",
  too_many_nodes: "the graph has too many nodes",
  unknown_node_type: "no node of this type exists",
  unknown_param: "the node has no param of this name",
  invalid_param: "the param value is not valid",
  value_smaller_than_min: "the value is below the minimum",
  value_bigger_than_max: "the value is above the maximum",
  unknown_input: "the node has no input port or param of this name",
  link_to_missing_node: "the link points at a node that does not exist",
  link_to_missing_output: "the upstream node has no output of this name",
  type_mismatch: "the upstream output's type does not fit this input",
  required_input_missing: "a required input is not connected",
  cycle: "the links form a cycle",
  no_output_node: "the graph has no output node, so nothing would run",
  cross_field: "the params do not fit together",
} as const;

export type IssueCode = keyof typeof ISSUE_CODES;

export interface ValidationIssue {
  code: IssueCode;
  message: string;
  nodeId?: string;
  /** Param or input port name (dotted for nested values). */
  field?: string;
  received?: unknown;
}

/** One line per issue, naming node and field first: `node "s1" field "steps": ...`. */
export function formatIssue(issue: ValidationIssue): string {
  const where = [
    issue.nodeId !== undefined ? `node "${issue.nodeId}"` : "",
    issue.field !== undefined ? `field "${issue.field}"` : "",
  ]
    .filter(Boolean)
    .join(" ");
  return `${where ? where + ": " : ""}${issue.message} [${issue.code}]`;
}

/** Shortens a received value for messages (huge strings must not flood logs or responses). */
export function preview(value: unknown, max = 80): unknown {
  if (typeof value === "string" && value.length > max) return `${value.slice(0, max)}… (${value.length} chars)`;
  if (value !== null && typeof value === "object") {
    const s = safeJson(value);
    return s.length > max ? `${s.slice(0, max)}…` : value;
  }
  return value;
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
