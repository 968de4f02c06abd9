"use client";
// The results gallery: one card per generated item (seed, bpm, key, caption, duration, lyrics synced to
// playback when they carry LRC times), one sound at a time, A/B at the same position, a star to keep,
// "use this seed", and "send to Cover / Repaint / Load Audio" (the repaint window dragged on the waveform).
import { useCallback, useEffect, useRef, useState } from "react";
import type { GalleryCard } from "../graph-model/gallery";
import type { Window } from "../graph-model/send-to";
import { AudioPlayer, type PlayerHandle } from "./audio-player";
import { LyricsView } from "./lyrics-view";

const STARS_KEY = "acestep-studio.starred.v1";

function useStars(): [Set<string>, (key: string) => void] {
  const [stars, setStars] = useState<Set<string>>(() => new Set());
  useEffect(() => {
    try {
      setStars(new Set(JSON.parse(localStorage.getItem(STARS_KEY) ?? "[]") as string[]));
    } catch {
      /* none kept */
    }
  }, []);
  const toggle = useCallback((key: string) => {
    setStars((s) => {
      const next = new Set(s);
      if (!next.delete(key)) next.add(key);
      localStorage.setItem(STARS_KEY, JSON.stringify([...next]));
      return next;
    });
  }, []);
  return [stars, toggle];
}

export type SendTo = "cover" | "repaint" | "load";

export interface GalleryProps {
  cards: GalleryCard[];
  onUseSeed(card: GalleryCard): void;
  onSend(card: GalleryCard, to: SendTo, window?: Window): void;
}

const fmtSeconds = (s?: number) => (s === undefined ? "" : `${s.toFixed(1)} s`);

export function Gallery({ cards, onUseSeed, onSend }: GalleryProps) {
  const handles = useRef(new Map<string, PlayerHandle>());
  const [stars, toggleStar] = useStars();
  const [ab, setAb] = useState<{ a?: string; b?: string }>({});
  const [lastPlayed, setLastPlayed] = useState<string | null>(null);
  const [windows, setWindows] = useState<Record<string, Window | null>>({});
  // Each card's lyrics listen to its player's time without re-rendering the gallery.
  const timeListeners = useRef(new Map<string, (t: number) => void>());
  const listeners = useRef(new Map<string, (onTime: (t: number) => void) => () => void>());
  const listenTo = (key: string) => {
    let l = listeners.current.get(key);
    if (!l) {
      l = (onTime) => {
        timeListeners.current.set(key, onTime);
        return () => timeListeners.current.delete(key);
      };
      listeners.current.set(key, l);
    }
    return l;
  };

  // A and B must be cards of this gallery.
  const keys = cards.map((c) => c.key).join("\n");
  useEffect(() => {
    const present = new Set(keys.split("\n"));
    setAb((x) => ({ a: x.a && present.has(x.a) ? x.a : undefined, b: x.b && present.has(x.b) ? x.b : undefined }));
  }, [keys]);

  /** Switches between A and B at the same position, playing the other one. */
  const switchAb = useCallback(() => {
    const { a, b } = ab;
    if (!a || !b) return;
    const from = lastPlayed === b ? b : a;
    const to = from === a ? b : a;
    const h = handles.current.get(from);
    const at = h?.time() ?? 0;
    h?.pause();
    handles.current.get(to)?.play(at);
  }, [ab, lastPlayed]);

  if (cards.length === 0) return null;
  return (
    <section className="flex flex-col gap-2" data-testid="gallery">
      <div className="flex items-center gap-2 text-xs text-neutral-400">
        <span className="font-semibold uppercase tracking-wide">Results</span>
        <span>{cards.length === 1 ? "1 item" : `${cards.length} items`}</span>
        <button
          type="button"
          className="ml-auto rounded bg-neutral-800 px-2 py-1 text-neutral-200 hover:bg-neutral-700 disabled:opacity-40"
          disabled={!ab.a || !ab.b}
          onClick={switchAb}
          title="Play the other of A and B from the same position"
          data-testid="ab-switch"
        >
          A ⇄ B
        </button>
      </div>
      <div className="grid grid-cols-[repeat(auto-fill,minmax(18rem,1fr))] gap-3">
        {cards.map((c) => {
          const mark = ab.a === c.key ? "A" : ab.b === c.key ? "B" : null;
          return (
            <article
              key={c.key}
              className={`flex flex-col gap-1.5 rounded-lg border bg-neutral-900 p-2.5 ${mark ? "border-sky-600" : "border-neutral-800"}`}
              data-testid="gallery-card"
              data-item={c.item}
            >
              <header className="flex items-center gap-2 text-sm">
                <span className="font-semibold text-neutral-100">#{c.item}</span>
                {mark && <span className="rounded bg-sky-700 px-1.5 text-[11px] font-bold text-white">{mark}</span>}
                <button
                  type="button"
                  className={`ml-auto text-lg leading-none ${stars.has(c.key) ? "text-amber-400" : "text-neutral-600 hover:text-neutral-300"}`}
                  aria-pressed={stars.has(c.key)}
                  aria-label="star"
                  title={stars.has(c.key) ? "Starred (kept)" : "Star to keep"}
                  onClick={() => toggleStar(c.key)}
                >
                  {stars.has(c.key) ? "★" : "☆"}
                </button>
              </header>
              <dl className="grid grid-cols-[auto_1fr] gap-x-2 text-[11px]" data-testid="card-meta">
                <dt className="text-neutral-500">seed</dt>
                <dd className="font-mono text-neutral-200" data-testid="card-seed">
                  {c.seed ?? "—"}
                </dd>
                <dt className="text-neutral-500">bpm</dt>
                <dd className="text-neutral-200">{c.bpm ?? "—"}</dd>
                <dt className="text-neutral-500">key</dt>
                <dd className="text-neutral-200">{c.keyscale ?? "—"}</dd>
                <dt className="text-neutral-500">duration</dt>
                <dd className="text-neutral-200">{fmtSeconds(c.seconds) || "—"}</dd>
                <dt className="text-neutral-500">caption</dt>
                <dd className="line-clamp-2 text-neutral-300" title={c.caption}>
                  {c.caption ?? "—"}
                </dd>
              </dl>
              <AudioPlayer
                path={c.path}
                onHandle={(h) => (h ? handles.current.set(c.key, h) : handles.current.delete(c.key))}
                onPlay={() => setLastPlayed(c.key)}
                onTime={(t) => timeListeners.current.get(c.key)?.(t)}
                onRegion={(r) => setWindows((w) => ({ ...w, [c.key]: r }))}
              />
              {c.lyrics && <LyricsView lyrics={c.lyrics} listen={listenTo(c.key)} />}
              {windows[c.key] && (
                <div className="text-[10px] text-sky-300" data-testid="card-window">
                  window {windows[c.key]!.start.toFixed(2)}–{windows[c.key]!.end.toFixed(2)} s
                </div>
              )}
              <div className="flex flex-wrap gap-1 text-[11px]">
                <CardButton
                  onClick={() => setAb((x) => ({ ...x, a: c.key, b: x.b === c.key ? undefined : x.b }))}
                  testId="mark-a"
                >
                  A
                </CardButton>
                <CardButton
                  onClick={() => setAb((x) => ({ ...x, b: c.key, a: x.a === c.key ? undefined : x.a }))}
                  testId="mark-b"
                >
                  B
                </CardButton>
                <CardButton
                  onClick={() => onUseSeed(c)}
                  disabled={c.seed === undefined}
                  testId="use-seed"
                  title="Set the sampler's seed to this item's seed (fixed)"
                >
                  use this seed
                </CardButton>
                <CardButton onClick={() => onSend(c, "cover")} testId="send-cover">
                  → Cover
                </CardButton>
                <CardButton
                  onClick={() => onSend(c, "repaint", windows[c.key] ?? undefined)}
                  testId="send-repaint"
                  title="Drag on the waveform to pick the window to repaint"
                >
                  → Repaint
                </CardButton>
                <CardButton onClick={() => onSend(c, "load")} testId="send-load">
                  → Load Audio
                </CardButton>
              </div>
            </article>
          );
        })}
      </div>
    </section>
  );
}

function CardButton({
  children,
  onClick,
  disabled,
  testId,
  title,
}: {
  children: React.ReactNode;
  onClick(): void;
  disabled?: boolean;
  testId: string;
  title?: string;
}) {
  return (
    <button
      type="button"
      className="rounded bg-neutral-800 px-1.5 py-0.5 text-neutral-200 hover:bg-neutral-700 disabled:opacity-40"
      onClick={onClick}
      disabled={disabled}
      data-testid={testId}
      title={title}
    >
      {children}
    </button>
  );
}
