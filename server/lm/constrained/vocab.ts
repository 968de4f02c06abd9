// Ports: the tokenizer-dependent precomputation of acestep/constrained_logits_processor.py `__init__`
// (+ constrained_decoding/token_precompute.py and trie_builders.py): tries for bpm / duration / time
// signature / keyscale / language, the token sequences forced for the fixed strings (upstream
// `_get_allowed_tokens_for_fixed_string`: repeatedly the longest prefix that encodes to ONE token), the
// newline and backtick ids, and per-token text flags used by the caption/genres rules. Built once per
// (tokenizer, maxDuration) and cached.
import type { LmTokenizer } from "../tokenizer";
import { FIRST_SPECIAL_ID, TEXT_VOCAB_SIZE } from "../tokens";
import {
  BPM_MAX,
  BPM_MIN,
  DURATION_MAX,
  DURATION_MIN,
  FIELD_ORDER,
  KEYSCALES,
  VALID_LANGUAGES,
  VALID_TIME_SIGNATURES,
  type FieldName,
} from "./constants";
import { TokenTrie } from "./trie";

export interface FsmVocab {
  tokenizer: LmTokenizer;
  newlineId: number;
  backtickId: number;
  maxDuration: number;
  tries: { bpm: TokenTrie; duration: TokenTrie; timesignature: TokenTrie; keyscale: TokenTrie; language: TokenTrie };
  /** Forced token sequence of each fixed string ("<think>", "\n", "bpm:", …, "</think>"). */
  fixed: Map<string, number[]>;
  /** 1 where the decoded token text starts with ' ' or '\t' (text vocab only). */
  startsWithBlank: Uint8Array;
  /** 1 where the decoded token text contains '\n'. */
  hasNewline: Uint8Array;
  /** Caption tokens never allowed: backtick + the 26 Qwen specials (audio codes are a range). */
  captionBlocked: Int32Array;
  /** captionBlocked + every newline-carrying token (used while the caption has no content yet). */
  captionBlockedNoNewline: Int32Array;
  /** Continuation-line starters after a caption newline: blank-leading text tokens, minus blocked ones. */
  captionContinuation: Int32Array;
  /** Genres (no vocab file): captionBlocked + newline-carrying tokens other than `\n` (one line). */
  genresBlocked: Int32Array;
  /** genresBlocked + `\n` (while the value has no content yet). */
  genresBlockedEmpty: Int32Array;
}

/** Upstream's greedy forcing: repeatedly the longest prefix of the remainder that encodes to one token. */
export function forcedSequence(tok: LmTokenizer, s: string): number[] {
  const out: number[] = [];
  let pos = 0;
  while (pos < s.length) {
    let found = false;
    for (let end = s.length; end > pos; end--) {
      const ids = tok.encode(s.slice(pos, end));
      if (ids.length === 1) {
        out.push(ids[0]);
        pos = end;
        found = true;
        break;
      }
    }
    if (!found) throw new Error(`constrained: no single-token prefix for ${JSON.stringify(s.slice(pos))}`);
  }
  return out;
}

/** Value tokens of "{field}: {value}" after the tokens of "{field}:" (null when the prefix does not match). */
function valueTokens(tok: LmTokenizer, field: string, value: string): number[] | null {
  const ctx = tok.encode(`${field}:`);
  const full = tok.encode(`${field}: ${value}`);
  for (let i = 0; i < ctx.length; i++) if (full[i] !== ctx[i]) return null;
  const rest = full.slice(ctx.length);
  return rest.length ? rest : null;
}

function buildTrie(
  tok: LmTokenizer,
  field: string,
  values: readonly string[],
  filter?: (first: number) => boolean,
): TokenTrie {
  const trie = new TokenTrie();
  for (const v of values) {
    const ids = valueTokens(tok, field, v);
    if (!ids || (filter && !filter(ids[0]))) continue;
    trie.insert(ids, v);
  }
  return trie;
}

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => String(a + i));

const cache = new WeakMap<LmTokenizer, Map<string, FsmVocab>>();

/**
 * @param naturalFieldNames force the fixed strings with their ordinary tokenization instead of upstream's
 *   greedy longest-single-token prefixes (they differ only for "bpm:": greedy "bp","m",":" = [17808, 76, 25]
 *   vs natural "b","pm",":" = [65, 5187, 25]). Default false = upstream parity.
 */
export function getFsmVocab(tok: LmTokenizer, maxDuration = DURATION_MAX, naturalFieldNames = false): FsmVocab {
  let perTok = cache.get(tok);
  if (!perTok) cache.set(tok, (perTok = new Map()));
  const key = `${maxDuration}:${naturalFieldNames}`;
  const hit = perTok.get(key);
  if (hit) return hit;
  const shared = perTok.values().next().value as FsmVocab | undefined;

  const nl = tok.encode("\n");
  const bt = tok.encode("`");
  if (nl.length !== 1 || bt.length !== 1) throw new Error("constrained: '\\n' and '`' must be single tokens");
  const newlineId = nl[0];

  const tries = shared
    ? {
        ...shared.tries,
        duration:
          shared.maxDuration === maxDuration
            ? shared.tries.duration
            : buildTrie(tok, "duration", range(DURATION_MIN, maxDuration)),
      }
    : {
        bpm: buildTrie(tok, "bpm", range(BPM_MIN, BPM_MAX)),
        duration: buildTrie(tok, "duration", range(DURATION_MIN, maxDuration)),
        timesignature: buildTrie(tok, "timesignature", VALID_TIME_SIGNATURES.map(String)),
        keyscale: buildTrie(tok, "keyscale", KEYSCALES, (first) =>
          "ABCDEFG".includes(tok.tokenText(first).trimStart().charAt(0).toUpperCase()),
        ),
        language: buildTrie(tok, "language", VALID_LANGUAGES),
      };

  let flags = shared && { startsWithBlank: shared.startsWithBlank, hasNewline: shared.hasNewline };
  if (!flags) {
    const texts = tok.allTokenTexts();
    const startsWithBlank = new Uint8Array(TEXT_VOCAB_SIZE);
    const hasNewline = new Uint8Array(TEXT_VOCAB_SIZE);
    for (let i = 0; i < TEXT_VOCAB_SIZE; i++) {
      const t = texts[i];
      if (t[0] === " " || t[0] === "\t") startsWithBlank[i] = 1;
      if (t.includes("\n")) hasNewline[i] = 1;
    }
    flags = { startsWithBlank, hasNewline };
  }
  const blocked = [bt[0]];
  for (let i = FIRST_SPECIAL_ID; i < TEXT_VOCAB_SIZE; i++) blocked.push(i);
  const nlTokens: number[] = [];
  const cont: number[] = [];
  const blockedSet = new Set(blocked);
  for (let i = 0; i < FIRST_SPECIAL_ID; i++) {
    if (flags.hasNewline[i]) nlTokens.push(i);
    if (flags.startsWithBlank[i] && !blockedSet.has(i)) cont.push(i);
  }

  const fixed = new Map<string, number[]>();
  for (const s of ["<think>", "\n", "</think>", ...FIELD_ORDER.map((f: FieldName) => `${f}:`)]) {
    fixed.set(s, naturalFieldNames ? tok.encode(s) : forcedSequence(tok, s));
  }

  const v: FsmVocab = {
    tokenizer: tok,
    newlineId,
    backtickId: bt[0],
    maxDuration,
    tries,
    fixed,
    startsWithBlank: flags.startsWithBlank,
    hasNewline: flags.hasNewline,
    captionBlocked: Int32Array.from(blocked),
    captionBlockedNoNewline: Int32Array.from([...blocked, ...nlTokens]),
    captionContinuation: Int32Array.from(cont),
    genresBlocked: Int32Array.from([...blocked, ...nlTokens.filter((i) => i !== newlineId)]),
    genresBlockedEmpty: Int32Array.from([...blocked, ...nlTokens]),
  };
  perTok.set(key, v);
  return v;
}
