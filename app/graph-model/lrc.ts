// LRC lyrics: lines carrying `[mm:ss.xx]` start times, so the gallery can show the line being sung. The format
// is the one upstream writes (ace-step/ACE-Step-1.5, acestep/dit_alignment_score.py,
// MusicStampsAligner.format_lrc): `[mm:ss.xx]text`, or `[mm:ss.xx][mm:ss.xx]text` with the end time when
// include_end_time is set; the text may be a section tag such as `[verse]`.
// Upstream derives these times from the DiT's lyric cross-attention (DTW over chosen heads); this project does
// not: timing is shown only when the lyrics themselves carry it (typed or pasted LRC, or a result that has it).

export interface LrcLine {
  /** Start in seconds; undefined for a line without a time. */
  start?: number;
  /** End in seconds, when the line gives one. */
  end?: number;
  text: string;
  /** A section tag (`[verse]`, `[chorus]`, …), not sung text. */
  section: boolean;
}

const TIME = String.raw`\[(\d{1,3}):(\d{1,2}(?:[.:]\d{1,3})?)\]`;
const TIMED = new RegExp(`^${TIME}(?:${TIME})?(.*)$`);
/** ID tags of the LRC format ([ar:…], [ti:…], [offset:…], …): metadata, not lyrics. */
const ID_TAG = /^\[[a-z#]+:[^\]]*\]$/i;
const SECTION = /^\[[^\]]*\]$/;

function seconds(min: string, sec: string): number {
  // "ss.xx", "ss.xxx" and the older "ss:xx" (centiseconds after a colon)
  const [s, frac = ""] = sec.split(/[.:]/);
  return Number(min) * 60 + Number(s) + (frac ? Number(frac) / 10 ** frac.length : 0);
}

/** The lines of LRC lyrics, or null when no line carries a time (plain lyrics). */
export function parseLrc(text: string): LrcLine[] | null {
  const out: LrcLine[] = [];
  let timed = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) continue;
    const m = TIMED.exec(line);
    if (m) {
      timed = true;
      const body = m[5]!.trim();
      out.push({
        start: seconds(m[1]!, m[2]!),
        end: m[3] !== undefined ? seconds(m[3], m[4]!) : undefined,
        text: body,
        section: SECTION.test(body),
      });
    } else if (!ID_TAG.test(line)) out.push({ text: line, section: SECTION.test(line) });
  }
  return timed ? out : null;
}

/**
 * The index of the line sung at `t` seconds: the latest-starting timed line that started by then (a section tag
 * counts: it marks where the section begins), none once a line's own end time has passed; -1 when none.
 */
export function activeLine(lines: LrcLine[], t: number): number {
  let best = -1;
  for (let i = 0; i < lines.length; i++) {
    const s = lines[i]!.start;
    if (s !== undefined && s <= t && (best < 0 || s >= lines[best]!.start!)) best = i;
  }
  const end = best >= 0 ? lines[best]!.end : undefined;
  return end !== undefined && t > end ? -1 : best;
}
