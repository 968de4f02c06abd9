"use client";
// Lyrics on a gallery card: synced to playback (the line being sung highlighted and kept in view) when they
// carry LRC times, the plain text otherwise. See app/graph-model/lrc.ts for where timing comes from.
import { memo, useEffect, useMemo, useRef, useState } from "react";
import { activeLine, parseLrc } from "../graph-model/lrc";

export interface LyricsViewProps {
  lyrics: string;
  /** Registers a listener for the player's time (seconds); returns the unregistration. */
  listen(onTime: (t: number) => void): () => void;
}

export const LyricsView = memo(function LyricsView({ lyrics, listen }: LyricsViewProps) {
  const lines = useMemo(() => parseLrc(lyrics), [lyrics]);
  const [active, setActive] = useState(-1);
  const box = useRef<HTMLOListElement>(null);

  useEffect(() => {
    if (!lines) return;
    setActive(activeLine(lines, 0));
    // (a state change only when the line changes, not on every frame of playback)
    return listen((t) => setActive(activeLine(lines, t)));
  }, [lines, listen]);

  useEffect(() => {
    const el = box.current;
    const li = active >= 0 ? (el?.children[active] as HTMLElement | undefined) : undefined;
    // scroll the list only, never the page
    if (el && li) el.scrollTop = li.offsetTop - el.clientHeight / 2 + li.offsetHeight / 2;
  }, [active]);

  if (!lines)
    return (
      <details className="text-[11px]" data-testid="card-lyrics" data-synced="false">
        <summary className="cursor-pointer text-neutral-500">lyrics</summary>
        <pre className="nowheel max-h-32 overflow-auto whitespace-pre-wrap rounded bg-neutral-950 p-1 text-neutral-300">
          {lyrics}
        </pre>
      </details>
    );
  return (
    <ol
      ref={box}
      className="nowheel relative max-h-24 overflow-auto rounded bg-neutral-950 p-1 text-[11px] leading-snug"
      data-testid="card-lyrics"
      data-synced="true"
    >
      {lines.map((l, i) => (
        <li
          key={i}
          data-testid="lyric-line"
          data-active={i === active ? "true" : "false"}
          className={
            i === active ? "font-semibold text-sky-300" : l.section ? "italic text-neutral-600" : "text-neutral-400"
          }
        >
          {l.text}
        </li>
      ))}
    </ol>
  );
});
