"use client";
// The one node component: draws any declaration — typed handles coloured by port type,
// widgets from the params' JSON Schema, run status, progress and results, issues in place.
import { memo, useCallback } from "react";
import { Handle, Position, type NodeProps } from "@xyflow/react";
import { PORT_COLORS, type PortType } from "../../nodes/port-types";
import { paramSchemas, widgetKind, type NodeDecl, type ParamSchema } from "../graph-model/decls";
import { seedControlOf, type SeedControl } from "../graph-model/seed-control";
import type { FlowNodeData } from "../graph-model/flow";
import type { NodeRunView } from "../graph-model/run-state";
import { ParamWidget } from "./widgets";
import { useNodeActions } from "./actions-context";
import { NodeResults } from "./results";

const colorOf = (t: string) => PORT_COLORS[t as PortType] ?? "#737373";

const STATUS_STYLE: Record<NodeRunView["status"], string> = {
  queued: "border-neutral-500 border-dashed",
  running: "border-sky-400 shadow-[0_0_0_2px_rgba(56,189,248,0.35)]",
  cached: "border-teal-500",
  done: "border-emerald-500",
  failed: "border-red-500 shadow-[0_0_0_2px_rgba(239,68,68,0.35)]",
};

const handleStyle = (t: string) => ({ background: colorOf(t), width: 10, height: 10, border: "2px solid #171717" });

function FieldIssues({ messages }: { messages?: string[] }) {
  if (!messages?.length) return null;
  return (
    <div className="text-[11px] leading-tight text-red-400" data-testid="field-issue">
      {messages.map((m, i) => (
        <div key={i}>{m}</div>
      ))}
    </div>
  );
}

function StatusBadge({ run }: { run: NodeRunView }) {
  const label =
    run.status === "running" && run.step !== undefined && run.total !== undefined
      ? `${run.step}/${run.total}`
      : run.status;
  const color = {
    queued: "bg-neutral-700",
    running: "bg-sky-600",
    cached: "bg-teal-700",
    done: "bg-emerald-700",
    failed: "bg-red-700",
  }[run.status];
  return (
    <span
      className={`rounded px-1.5 py-px text-[10px] font-medium text-white ${color}`}
      data-testid="node-status"
      title={run.ms !== undefined ? `${Math.round(run.ms)} ms` : undefined}
    >
      {label}
      {run.status === "done" && run.ms !== undefined
        ? ` · ${run.ms < 1000 ? `${Math.round(run.ms)} ms` : `${(run.ms / 1000).toFixed(1)} s`}`
        : ""}
    </span>
  );
}

function ProgressBar({ run }: { run: NodeRunView }) {
  if (run.status !== "running") return null;
  const pct = Math.round((run.fraction ?? 0) * 100);
  return (
    <div className="px-2 pb-1.5" data-testid="node-progress">
      <div className="h-1.5 w-full overflow-hidden rounded bg-neutral-800">
        <div className="h-full bg-sky-500 transition-[width] duration-150" style={{ width: `${pct}%` }} />
      </div>
      <div className="mt-0.5 flex justify-between text-[10px] text-neutral-400">
        <span data-testid="node-steps">
          {run.step !== undefined && run.total !== undefined ? `step ${run.step} / ${run.total}` : (run.message ?? "")}
        </span>
        <span>{pct}%</span>
      </div>
    </div>
  );
}

interface ParamRowProps {
  id: string;
  name: string;
  schema: ParamSchema;
  decl: NodeDecl;
  value: unknown;
  linked: boolean;
  issues?: string[];
  seedControl?: SeedControl;
  usedSeed?: number;
}

function ParamRow({ id, name, schema, decl, value, linked, issues, seedControl, usedSeed }: ParamRowProps) {
  const actions = useNodeActions();
  const onChange = useCallback((v: unknown) => actions.setParam(id, name, v), [actions, id, name]);
  const onSeedControl = useCallback((c: SeedControl) => actions.setSeedControl(id, name, c), [actions, id, name]);
  const onError = useCallback((m: string) => actions.notify(m, "error"), [actions]);
  const portType = decl.paramPorts[name];
  return (
    <div
      className={`relative px-2 py-0.5 ${issues?.length ? "rounded bg-red-950/60 ring-1 ring-red-500" : ""}`}
      data-field={name}
      data-invalid={issues?.length ? "true" : undefined}
    >
      {portType && (
        <Handle
          type="target"
          position={Position.Left}
          id={name}
          style={{ ...handleStyle(portType), width: 8, height: 8, opacity: linked ? 1 : 0.55 }}
          title={`${name} (${portType}) can be fed by a link`}
        />
      )}
      {linked ? (
        <div className="flex items-center justify-between text-[11px] text-neutral-300" title={schema.description}>
          <span>{schema.title ?? name}</span>
          <span className="text-[10px]" style={{ color: colorOf(portType ?? "") }}>
            ← linked
          </span>
        </div>
      ) : (
        <ParamWidget
          name={name}
          schema={schema}
          value={value}
          onChange={onChange}
          onError={onError}
          invalid={!!issues?.length}
          seedControl={seedControl}
          onSeedControl={onSeedControl}
          usedSeed={usedSeed}
        />
      )}
      <FieldIssues messages={issues} />
    </div>
  );
}

function AceNode({ data, selected }: NodeProps & { data: FlowNodeData }) {
  const { id, node, decl, run, issues } = data;
  const title = node.ui?.title ?? decl?.title ?? node.type;
  // Validation issues win over the last run's colours: the node to fix is outlined in red.
  const border = issues
    ? "border-red-500 outline outline-2 outline-red-500/70"
    : run
      ? STATUS_STYLE[run.status]
      : selected
        ? "border-sky-500"
        : "border-neutral-700";
  if (!decl) {
    return (
      <div className="w-64 rounded-md border border-red-500 bg-neutral-900 text-xs" data-status="unknown">
        <div className="rounded-t-md bg-red-900/60 px-2 py-1 font-medium">{title}</div>
        <div className="p-2 text-red-300">{`Unknown node type "${node.type}": this build has no such node`}</div>
        {Object.keys(node.inputs ?? {}).map((k) => (
          <div key={k} className="relative px-2 py-0.5 text-neutral-400">
            <Handle type="target" position={Position.Left} id={k} style={handleStyle("")} />
            {k}
          </div>
        ))}
      </div>
    );
  }
  const params = paramSchemas(decl);
  // Advanced params fold away, unless a link feeds them (their handle must stay visible).
  const folded = ([name, s]: [string, ParamSchema]) => s.advanced === true && !node.inputs?.[name];
  const basic = params.filter((p) => !folded(p));
  const advanced = params.filter(folded);
  const row = ([name, schema]: [string, ParamSchema]) => (
    <ParamRow
      key={name}
      id={id}
      name={name}
      schema={schema}
      decl={decl}
      value={node.params?.[name] ?? schema.default}
      linked={!!node.inputs?.[name]}
      issues={issues?.fields[name]}
      seedControl={widgetKind(schema) === "seed" ? seedControlOf(node, name) : undefined}
      usedSeed={
        widgetKind(schema) === "seed" && typeof run?.params?.[name] === "number"
          ? (run.params[name] as number)
          : undefined
      }
    />
  );
  return (
    <div
      className={`w-64 rounded-md border bg-neutral-900/95 text-xs shadow-lg ${border} ${selected ? "ring-1 ring-sky-400" : ""}`}
      data-status={run?.status ?? "idle"}
      data-type={decl.type}
      data-invalid={issues ? "true" : undefined}
    >
      <div
        className="flex items-center justify-between gap-2 rounded-t-md bg-neutral-800 px-2 py-1"
        title={decl.description}
      >
        <div className="min-w-0">
          <div className="truncate font-medium text-neutral-100">{title}</div>
          <div className="truncate text-[10px] text-neutral-500">{id}</div>
        </div>
        {run && <StatusBadge run={run} />}
      </div>
      {run && <ProgressBar run={run} />}
      {issues?.node.length ? (
        <div className="px-2 pt-1">
          <FieldIssues messages={issues.node} />
        </div>
      ) : null}
      {run?.status === "failed" && run.error && (
        <div className="mx-2 mt-1 rounded bg-red-950/70 px-1.5 py-1 text-[11px] text-red-300" data-testid="node-error">
          {run.field ? <b>{run.field}: </b> : null}
          {run.error}
        </div>
      )}
      <div className="py-1">
        {Object.entries(decl.outputs).map(([name, o]) => (
          <div key={name} className="relative px-2 py-0.5 text-right text-neutral-300" title={o.description}>
            {name}{" "}
            <span className="text-[10px]" style={{ color: colorOf(o.type) }}>
              {o.type}
            </span>
            <Handle type="source" position={Position.Right} id={name} style={handleStyle(o.type)} />
          </div>
        ))}
        {Object.entries(decl.inputs).map(([name, i]) => (
          <div
            key={name}
            className={`relative px-2 py-0.5 text-neutral-300 ${issues?.fields[name]?.length ? "rounded bg-red-950/60 ring-1 ring-red-500" : ""}`}
            title={i.description}
            data-field={name}
            data-invalid={issues?.fields[name]?.length ? "true" : undefined}
          >
            <Handle type="target" position={Position.Left} id={name} style={handleStyle(i.type)} />
            {name}{" "}
            <span className="text-[10px]" style={{ color: colorOf(i.type) }}>
              {i.type}
            </span>
            {i.optional && <span className="text-[10px] text-neutral-600"> (optional)</span>}
            <FieldIssues messages={issues?.fields[name]} />
          </div>
        ))}
        {basic.map(row)}
        {advanced.length > 0 && (
          <details className="nodrag px-0 py-0.5">
            <summary className="cursor-pointer px-2 text-[11px] text-neutral-500">advanced ({advanced.length})</summary>
            {advanced.map(row)}
          </details>
        )}
      </div>
      {run?.results?.length ? <NodeResults results={run.results} /> : null}
    </div>
  );
}

/** Re-renders only for its own data or selection, not for position changes (dragging 100 nodes). */
export const GraphNodeView = memo(
  AceNode,
  (a, b) => a.data === b.data && a.selected === b.selected && a.id === b.id && a.isConnectable === b.isConnectable,
);
/** Stable at module level, as React Flow requires. */
export const NODE_TYPES = { acestep: GraphNodeView };
