"use client";
// Simple mode: a panel over the graph with big controls for the params it exposes (see
// app/graph-model/simple-mode.ts), a Generate button, the run's progress, and the gallery.
import type { Graph } from "../../server/graph/format";
import type { DeclMap } from "../graph-model/decls";
import { widgetKind } from "../graph-model/decls";
import type { GalleryCard } from "../graph-model/gallery";
import { fieldValue, schemaOf, type SimpleField } from "../graph-model/simple-mode";
import type { RunView } from "../graph-model/run-state";
import { isTerminal } from "../graph-model/run-state";
import { MAX_SEED } from "../graph-model/seed-control";
import type { Window } from "../graph-model/send-to";
import { NumberField } from "./number-field";
import { Gallery, type SendTo } from "./gallery";

export interface SimpleModeProps {
  graph: Graph;
  decls: DeclMap;
  fields: SimpleField[];
  run: RunView | null;
  cards: GalleryCard[];
  onSet(field: SimpleField, value: unknown): void;
  onGenerate(): void;
  onCancel(): void;
  onUseSeed(card: GalleryCard): void;
  onSend(card: GalleryCard, to: SendTo, window?: Window): void;
}

const bigInput = (bad: boolean) =>
  `w-full rounded-md border bg-neutral-900 px-3 py-2 text-base text-neutral-100 outline-none focus:border-sky-500 ${bad ? "border-red-500" : "border-neutral-700"}`;

function Field({
  graph,
  decls,
  field,
  onSet,
}: {
  graph: Graph;
  decls: DeclMap;
  field: SimpleField;
  onSet(v: unknown): void;
}) {
  const schema = schemaOf(graph, decls, field.targets[0]);
  if (!schema) return null;
  const value = fieldValue(graph, decls, field);
  const kind = widgetKind(schema);
  const id = `simple-${field.targets[0].node}-${field.targets[0].param}`;
  let control;
  if (kind === "textarea" || kind === "text")
    control = (
      <textarea
        id={id}
        rows={kind === "textarea" ? (field.targets[0].param === "lyrics" ? 8 : 3) : 1}
        className={`${bigInput(false)} resize-y`}
        value={typeof value === "string" ? value : ""}
        maxLength={schema.maxLength}
        placeholder={schema.description}
        onChange={(e) => onSet(e.target.value)}
      />
    );
  else if (kind === "seed") {
    const random = value === -1;
    control = (
      <div className="flex items-center gap-3">
        {random ? (
          <span className="flex-1 rounded-md border border-dashed border-neutral-700 px-3 py-2 text-base italic text-neutral-500">
            random each run
          </span>
        ) : (
          <NumberField
            name={field.label}
            value={typeof value === "number" ? value : 0}
            range={{ integer: true, min: 0, max: MAX_SEED }}
            onChange={onSet}
            className={bigInput}
          />
        )}
        <label className="flex items-center gap-1.5 text-sm text-neutral-300">
          <input
            type="checkbox"
            className="h-4 w-4 accent-sky-500"
            checked={random}
            onChange={(e) => onSet(e.target.checked ? -1 : Math.floor(Math.random() * MAX_SEED))}
          />
          random
        </label>
      </div>
    );
  } else if (kind === "select")
    control = (
      <select id={id} className={bigInput(false)} value={String(value ?? "")} onChange={(e) => onSet(e.target.value)}>
        {(schema.choices ?? (schema.enum ?? []).map(String)).map((o) => (
          <option key={o} value={o}>
            {o === "" ? "(not set)" : o}
          </option>
        ))}
      </select>
    );
  else if (kind === "toggle")
    control = (
      <input
        id={id}
        type="checkbox"
        className="h-5 w-5 accent-sky-500"
        checked={value === true}
        onChange={(e) => onSet(e.target.checked)}
      />
    );
  else
    control = (
      <NumberField
        name={field.label}
        value={typeof value === "number" ? value : undefined}
        range={{ integer: schema.type === "integer", min: schema.minimum, max: schema.maximum }}
        step={schema.step}
        onChange={onSet}
        className={bigInput}
      />
    );
  return (
    <div className="flex flex-col gap-1" data-simple-field={field.label}>
      <label htmlFor={id} className="text-sm font-medium text-neutral-300" title={schema.description}>
        {field.label}
      </label>
      {control}
    </div>
  );
}

function Progress({ run, onCancel }: { run: RunView; onCancel(): void }) {
  if (isTerminal(run.status)) return null;
  const nodes = Object.values(run.nodes);
  const current = nodes.find((n) => n.status === "running");
  const done = nodes.filter((n) => n.status === "done" || n.status === "cached").length;
  const pct = nodes.length ? Math.round(((done + (current?.fraction ?? 0)) / nodes.length) * 100) : 0;
  return (
    <div className="flex flex-col gap-1" data-testid="simple-progress">
      <div className="h-2 overflow-hidden rounded bg-neutral-800">
        <div className="h-full bg-sky-500 transition-[width]" style={{ width: `${pct}%` }} />
      </div>
      <div className="flex justify-between text-xs text-neutral-400">
        <span>
          {run.status === "queued"
            ? `queued · position ${run.position ?? "?"}`
            : current?.step !== undefined
              ? `step ${current.step} / ${current.total}`
              : `${pct}%`}
        </span>
        <button type="button" className="text-red-400 hover:text-red-300" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}

export function SimpleMode(p: SimpleModeProps) {
  const busy = p.run !== null && !isTerminal(p.run.status);
  return (
    <div className="absolute inset-0 z-20 flex gap-6 overflow-auto bg-neutral-950 p-6" data-testid="simple-mode">
      <div className="flex w-[30rem] flex-none flex-col gap-4">
        {p.fields.length === 0 && (
          <p className="text-sm text-neutral-400">
            This graph exposes no params for simple mode (mark them in its JSON under ui.simple), and has none named
            caption, lyrics, duration, seed or batchSize.
          </p>
        )}
        {p.fields.map((f) => (
          <Field key={f.label} graph={p.graph} decls={p.decls} field={f} onSet={(v) => p.onSet(f, v)} />
        ))}
        <button
          type="button"
          className="rounded-lg bg-emerald-700 py-3 text-lg font-semibold text-white hover:bg-emerald-600 disabled:opacity-40"
          onClick={p.onGenerate}
          disabled={Object.keys(p.graph.nodes).length === 0}
          data-testid="generate"
        >
          {busy ? "Generate again" : "Generate"}
        </button>
        {p.run && <Progress run={p.run} onCancel={p.onCancel} />}
      </div>
      <div className="min-w-0 flex-1">
        {p.cards.length ? (
          <Gallery cards={p.cards} onUseSeed={p.onUseSeed} onSend={p.onSend} />
        ) : (
          <p className="pt-8 text-center text-sm text-neutral-500">Results appear here.</p>
        )}
      </div>
    </div>
  );
}
