"use client";
// A node's results from the run: audio players, texts, values, songs (caption, lyrics,
// metadata) and other files.
import { memo } from "react";
import type { UiResult } from "../../nodes/define-node";
import { AudioPlayer, fileUrl } from "./audio-player";
import { fieldLabel, fieldText } from "../graph-model/result-labels";

function show(v: unknown): string {
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toPrecision(6).replace(/\.?0+$/, "");
  if (typeof v === "string") return v;
  return JSON.stringify(v, null, 2);
}

function Song({ r }: { r: UiResult }) {
  const v = {
    ...((r.meta ?? {}) as Record<string, unknown>),
    ...((typeof r.value === "object" && r.value) || {}),
  } as Record<string, unknown>;
  const { caption, lyrics, audioCodes, ...rest } = v;
  const codes = Array.isArray(audioCodes) ? (audioCodes as unknown[]).filter(Array.isArray) : [];
  return (
    <div className="flex flex-col gap-1" data-testid="song-result">
      {r.label && <div className="text-[10px] text-neutral-500">{r.label}</div>}
      {typeof caption === "string" && <div className="text-neutral-200">{caption}</div>}
      {typeof lyrics === "string" && (
        <pre className="nowheel max-h-40 overflow-auto whitespace-pre-wrap rounded bg-neutral-950 p-1 text-[11px] text-neutral-300">
          {lyrics}
        </pre>
      )}
      <dl className="grid grid-cols-[auto_1fr] gap-x-2 text-[11px]">
        {Object.entries(rest).map(([k, x]) => (
          <div key={k} className="contents">
            <dt className="text-neutral-500" title={k}>
              {fieldLabel(k)}
            </dt>
            <dd className="truncate text-neutral-300">{fieldText(k, x)}</dd>
          </div>
        ))}
      </dl>
      {codes.map((c, i) => (
        <details key={i} className="text-[11px]" data-testid="audio-codes">
          <summary className="cursor-pointer text-neutral-400">{`audio codes${codes.length > 1 ? ` #${i + 1}` : ""} (${c.length}, 5 per second)`}</summary>
          <pre className="nowheel max-h-32 overflow-auto whitespace-pre-wrap break-all rounded bg-neutral-950 p-1 font-mono text-[10px] text-neutral-300">
            {c.join(" ")}
          </pre>
        </details>
      ))}
    </div>
  );
}

function Result({ r }: { r: UiResult }) {
  switch (r.kind) {
    case "audio":
      return r.path ? <AudioPlayer path={r.path} label={r.label} compact /> : null;
    case "song":
      return <Song r={r} />;
    case "text":
      return (
        <div>
          {r.label && <div className="text-[10px] text-neutral-500">{r.label}</div>}
          <pre
            className="nowheel max-h-40 overflow-auto whitespace-pre-wrap rounded bg-neutral-950 p-1 text-[11px] text-neutral-200"
            data-testid="text-result"
          >
            {show(r.value)}
          </pre>
        </div>
      );
    case "value":
      return (
        <div className="font-mono text-sm text-sky-300" data-testid="value-result">
          {r.label ? <span className="text-neutral-500">{r.label}: </span> : null}
          {show(r.value)}
        </div>
      );
    case "file":
      return r.path ? (
        <a className="text-sky-400 underline" href={fileUrl(r.path)} download>
          {r.label ?? r.path.split("/").pop()}
        </a>
      ) : null;
  }
}

export const NodeResults = memo(function NodeResults({ results }: { results: UiResult[] }) {
  return (
    <div className="nodrag flex flex-col gap-1.5 border-t border-neutral-800 px-2 py-1.5" data-testid="node-results">
      {results.map((r, i) => (
        <Result key={`${r.kind}:${r.path ?? i}`} r={r} />
      ))}
    </div>
  );
});
