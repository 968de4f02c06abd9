"use client";
// A wavesurfer.js 8 player for an audio result: waveform, play/pause, seek (click or drag),
// zoom, download, and an optional spectrogram (wavesurfer's Spectrogram plugin).
import { useEffect, useRef, useState } from "react";
import type WaveSurfer from "wavesurfer.js";

export function fileUrl(path: string): string {
  return `/api/files/${path.split("/").map(encodeURIComponent).join("/")}`;
}

const fmt = (s: number) => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, "0")}`;

/** Every player on the page: starting one pauses the others (one sound at a time). */
const players = new Set<WaveSurfer>();

/** What a results gallery can do with a player (A/B switching at the same position). */
export interface PlayerHandle {
  play(at?: number): void;
  pause(): void;
  time(): number;
  playing(): boolean;
}

export interface AudioPlayerProps {
  path: string;
  label?: string;
  compact?: boolean;
  onHandle?(h: PlayerHandle | null): void;
  onPlay?(): void;
  /** The playback position while it changes (seconds). */
  onTime?(t: number): void;
  /** Lets the user drag a region on the waveform (e.g. a repaint window), reported in seconds. */
  onRegion?(r: { start: number; end: number } | null): void;
}

export function AudioPlayer({ path, label, compact, onHandle, onPlay, onTime, onRegion }: AudioPlayerProps) {
  const box = useRef<HTMLDivElement>(null);
  const spec = useRef<HTMLDivElement>(null);
  const ws = useRef<WaveSurfer | null>(null);
  const [ready, setReady] = useState(false);
  const [playing, setPlaying] = useState(false);
  const [time, setTime] = useState(0);
  const [duration, setDuration] = useState(0);
  const [zoom, setZoom] = useState(0);
  const [spectrogram, setSpectrogram] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const url = fileUrl(path);
  const regionMode = onRegion !== undefined;
  const handles = useRef({ onHandle, onPlay, onTime, onRegion });
  handles.current = { onHandle, onPlay, onTime, onRegion };

  useEffect(() => {
    let live = true;
    let inst: WaveSurfer | null = null;
    setReady(false);
    setError(null);
    void import("wavesurfer.js").then(({ default: WS }) => {
      if (!live || !box.current) return;
      inst = WS.create({
        container: box.current,
        url,
        height: compact ? 48 : 72,
        waveColor: "#4ade80",
        progressColor: "#15803d",
        cursorColor: "#e5e5e5",
        normalize: true,
        // (dragging on the waveform picks a region instead when one is wanted: both would take the drag)
        dragToSeek: !regionMode,
        barWidth: 0,
      });
      ws.current = inst;
      players.add(inst);
      const me = inst;
      inst.on("ready", (d) => {
        setDuration(d);
        setReady(true);
        handles.current.onHandle?.({
          play: (at) => {
            if (at !== undefined) me.setTime(Math.min(at, me.getDuration()));
            void me.play();
          },
          pause: () => me.pause(),
          time: () => me.getCurrentTime(),
          playing: () => me.isPlaying(),
        });
      });
      inst.on("timeupdate", (t) => {
        setTime(t);
        handles.current.onTime?.(t);
      });
      inst.on("play", () => {
        for (const other of players) if (other !== me && other.isPlaying()) other.pause();
        handles.current.onPlay?.();
      });
      inst.on("play", () => setPlaying(true));
      inst.on("pause", () => setPlaying(false));
      inst.on("finish", () => setPlaying(false));
      inst.on("error", (e) => setError(String((e as Error)?.message ?? e)));
    });
    return () => {
      live = false;
      if (inst) players.delete(inst);
      handles.current.onHandle?.(null);
      inst?.destroy();
      ws.current = null;
    };
  }, [url, compact, regionMode]);

  // A region dragged on the waveform (wavesurfer's Regions plugin): one at a time.
  useEffect(() => {
    if (!regionMode || !ready || !ws.current) return;
    let live = true;
    let plugin: { destroy(): void } | null = null;
    void import("wavesurfer.js/dist/plugins/regions.esm.js").then(({ default: Regions }) => {
      if (!live || !ws.current) return;
      const regions = ws.current.registerPlugin(Regions.create());
      plugin = regions;
      regions.enableDragSelection({ color: "rgba(56, 189, 248, 0.25)" });
      const report = (r: { start: number; end: number }) =>
        handles.current.onRegion?.({ start: Math.round(r.start * 100) / 100, end: Math.round(r.end * 100) / 100 });
      regions.on("region-created", (r) => {
        for (const other of regions.getRegions()) if (other !== r) other.remove();
        report(r);
      });
      regions.on("region-updated", (r) => report(r));
    });
    return () => {
      live = false;
      plugin?.destroy();
    };
  }, [regionMode, ready]);

  useEffect(() => {
    if (ready) ws.current?.zoom(zoom);
  }, [zoom, ready]);

  useEffect(() => {
    if (!spectrogram || !ready || !ws.current || !spec.current) return;
    let plugin: { destroy(): void } | null = null;
    let live = true;
    void import("wavesurfer.js/dist/plugins/spectrogram.esm.js").then(({ default: Spectrogram }) => {
      if (!live || !ws.current || !spec.current) return;
      plugin = ws.current.registerPlugin(
        Spectrogram.create({
          container: spec.current,
          height: 96,
          labels: true,
          labelsColor: "#a3a3a3",
          fftSamples: 512,
        }),
      );
    });
    return () => {
      live = false;
      plugin?.destroy();
    };
  }, [spectrogram, ready]);

  return (
    <div
      className="nodrag nowheel nopan flex flex-col gap-1"
      data-testid="audio-player"
      data-ready={ready ? "true" : "false"}
      data-duration={duration || undefined}
      data-playing={playing ? "true" : "false"}
      data-time={time.toFixed(2)}
    >
      {label && <div className="truncate text-[10px] text-neutral-400">{label}</div>}
      <div ref={box} className="w-full overflow-hidden rounded bg-neutral-950" data-testid="waveform" />
      {spectrogram && <div ref={spec} className="w-full" data-testid="spectrogram" />}
      {error && <div className="text-[11px] text-red-400">{error}</div>}
      <div className="flex items-center gap-1.5 text-[11px] text-neutral-300">
        <button
          type="button"
          className="rounded bg-emerald-700 px-2 py-0.5 text-white disabled:opacity-40"
          disabled={!ready}
          aria-label={playing ? "pause" : "play"}
          onClick={() => void ws.current?.playPause()}
        >
          {playing ? "❚❚" : "▶"}
        </button>
        <span className="tabular-nums text-neutral-400">
          {fmt(time)} / {fmt(duration)}
        </span>
        <label
          className="ml-auto flex items-center gap-1 text-[10px] text-neutral-500"
          title="Zoom (pixels per second)"
        >
          <span aria-hidden="true">zoom</span>
          <input
            type="range"
            aria-label="zoom"
            className="zoom-slider w-14"
            min={0}
            max={500}
            step={10}
            value={zoom}
            onChange={(e) => setZoom(Number(e.target.value))}
          />
        </label>
        <button
          type="button"
          title="Spectrogram"
          className={`rounded px-1 ${spectrogram ? "bg-neutral-700" : ""}`}
          onClick={() => setSpectrogram((s) => !s)}
        >
          ≋
        </button>
        <a href={url} download className="rounded px-1 hover:bg-neutral-800" title="Download">
          ⤓
        </a>
      </div>
    </div>
  );
}
