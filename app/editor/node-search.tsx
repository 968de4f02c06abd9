"use client";
// The node search popup: opened by double-clicking the canvas, or by dropping a dragged
// connection on empty canvas (then it lists only the nodes that fit the port).
import { useEffect, useMemo, useRef, useState } from "react";
import { searchDecls, type NodeDecl } from "../graph-model/decls";

export interface SearchChoice {
  decl: NodeDecl;
  /** For a dropped connection: the handle of the new node to link. */
  handle?: string;
}

export function NodeSearch({
  at,
  choices,
  title,
  onPick,
  onClose,
}: {
  at: { x: number; y: number };
  choices: SearchChoice[];
  title?: string;
  onPick(c: SearchChoice): void;
  onClose(): void;
}) {
  const [q, setQ] = useState("");
  const [active, setActive] = useState(0);
  const input = useRef<HTMLInputElement>(null);
  const hits = useMemo(() => {
    const byType = new Map(choices.map((c) => [c.decl.type, c]));
    return searchDecls(
      choices.map((c) => c.decl),
      q,
    ).map((d) => byType.get(d.type)!);
  }, [choices, q]);
  useEffect(() => input.current?.focus(), []);
  useEffect(() => setActive(0), [q]);
  return (
    <div className="fixed inset-0 z-50" onMouseDown={onClose}>
      <div
        className="absolute w-80 rounded-md border border-neutral-700 bg-neutral-900 shadow-2xl"
        style={{ left: Math.min(at.x, window.innerWidth - 330), top: Math.min(at.y, window.innerHeight - 340) }}
        onMouseDown={(e) => e.stopPropagation()}
        data-testid="node-search"
      >
        {title && <div className="border-b border-neutral-800 px-2 py-1 text-[11px] text-neutral-400">{title}</div>}
        <input
          ref={input}
          className="w-full border-b border-neutral-800 bg-transparent px-2 py-1.5 text-sm outline-none"
          placeholder="Search nodes…"
          aria-label="Search nodes"
          value={q}
          onChange={(e) => setQ(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Escape") onClose();
            else if (e.key === "ArrowDown") setActive((a) => Math.min(a + 1, hits.length - 1));
            else if (e.key === "ArrowUp") setActive((a) => Math.max(a - 1, 0));
            else if (e.key === "Enter" && hits[active]) onPick(hits[active]);
            else return;
            e.preventDefault();
          }}
        />
        <ul className="max-h-72 overflow-auto py-1" role="listbox">
          {hits.length === 0 && <li className="px-2 py-1 text-xs text-neutral-500">No matching node</li>}
          {hits.map((c, i) => (
            <li
              key={c.decl.type}
              role="option"
              aria-selected={i === active}
              data-type={c.decl.type}
              className={`cursor-pointer px-2 py-1 text-xs ${i === active ? "bg-sky-900/60" : "hover:bg-neutral-800"}`}
              onMouseEnter={() => setActive(i)}
              onClick={() => onPick(c)}
              title={c.decl.description}
            >
              <div className="flex justify-between gap-2">
                <span className="text-neutral-100">{c.decl.title}</span>
                <span className="text-neutral-500">{c.decl.category}</span>
              </div>
              <div className="truncate text-[10px] text-neutral-500">
                {c.decl.type}
                {c.handle ? ` → ${c.handle}` : ""}
              </div>
            </li>
          ))}
        </ul>
      </div>
    </div>
  );
}
