// Ports: `MetadataConstrainedLogitsProcessor` of acestep/constrained_logits_processor.py (`__call__`,
// `_process_single_sequence`, `update_state`) as a token-level FSM for a decode loop:
//   <think> \n  bpm: V\n  caption: TEXT\n  duration: V\n  [genres: TEXT\n]  keyscale: V\n  language: V\n
//   timesignature: V\n  </think>  → EOS (phase 1) | "\n\n" + exactly N codes + EOS | free text (understand)
// Deviations from upstream, each to keep every output parseable: after a caption line break
// the FSM forces the NEXT EXPECTED field name instead of letting the model write any name; caption
// continuation lines must start with a blank; the caption and genres also block the 26 Qwen specials
// (EOS included) and genres stays on one line with a token cap (no genres_vocab.txt).
import { postprocessCaption } from "../prompts";
import type { LmTokenizer } from "../tokenizer";
import { AUDIO_CODE_BASE, AUDIO_CODE_END, CODES_PER_SECOND, DOUBLE_NEWLINE_ID, EOS_ID, LM_VOCAB_SIZE } from "../tokens";
import { CAPTION_MAX_TOKENS, DURATION_MAX, FIELD_ORDER, type FieldName } from "./constants";
import { applyAllowed, argmaxAllowed, type Allowed, type IdRange } from "./mask";
import type { TrieNode } from "./trie";
import { getFsmVocab, type FsmVocab } from "./vocab";

/**
 * cot: generate pass 1 (metadata; EOS forced where `</think>` would go — upstream stop_at_reasoning).
 * codes: generate pass 2 (prompt already holds the CoT): only audio codes, then EOS.
 * cot+codes: single pass — CoT, `</think>`, `\n\n`, codes (target from the CoT duration unless given).
 * understand: understand_music / create_sample / format_sample — CoT incl. genres, `</think>`, then free
 * text with audio codes blocked.
 */
export type FsmMode = "cot" | "codes" | "cot+codes" | "understand";

export type UserValues = Partial<Record<FieldName, string | number>>;

export interface MetadataFsmOptions {
  tokenizer: LmTokenizer;
  mode: FsmMode;
  /** User-provided values, injected verbatim as " {value}\n" (not validated, like upstream). */
  userValues?: UserValues;
  /** Omit the caption line (generate: !use_cot_caption). */
  skipCaption?: boolean;
  /** Omit the language line (generate: !use_cot_language; format_sample with a given language). */
  skipLanguage?: boolean;
  /** Omit genres (default: true for cot / cot+codes, false for understand). */
  skipGenres?: boolean;
  /** Upper bound of the duration trie (memory tier's max_duration_with_lm; default 600). */
  maxDuration?: number;
  /** Codes target as seconds (→ int(d·5) codes) … */
  targetDuration?: number;
  /** … or directly as a code count. Absent in cot+codes mode → CoT duration × 5. */
  targetCodes?: number;
  captionMaxTokens?: number;
  /** Genres token cap (our addition; upstream has none without a vocab file). Default 64. */
  genresMaxTokens?: number;
  eosId?: number;
  /** Force field names with their natural tokenization ("bpm:" = [65, 5187, 25]) instead of upstream's greedy one. */
  naturalFieldNames?: boolean;
}

type State = "think" | "think_nl" | "name" | "value" | "think_end" | "after_think" | "codes" | "free" | "done";

const CODE_RANGE: readonly IdRange[] = [[AUDIO_CODE_BASE, AUDIO_CODE_END]];
const ALL_CODE_RANGE: readonly IdRange[] = [[AUDIO_CODE_BASE, LM_VOCAB_SIZE]];
const NO_IDS = new Int32Array(0);

export class MetadataFsm {
  readonly mode: FsmMode;
  readonly fields: readonly FieldName[];
  /** Text of every finished CoT value (trimmed), in emission order. */
  readonly values: Partial<Record<FieldName, string>> = {};
  codesCount = 0;
  targetCodes: number | undefined;

  private readonly v: FsmVocab;
  private readonly tok: LmTokenizer;
  private readonly eos: number;
  private readonly user: UserValues;
  private readonly captionCap: number;
  private readonly genresCap: number;
  private st: State;
  private queue: number[] = [];
  private fieldIdx = -1;
  private cur: Allowed | null = null;
  // value-state scratch
  private node: TrieNode | null = null;
  private valueIds: number[] = [];
  private count = 0;
  private afterNl = false;
  private hasContent = false;
  private capHit = false;

  constructor(o: MetadataFsmOptions) {
    this.mode = o.mode;
    this.tok = o.tokenizer;
    this.v = getFsmVocab(o.tokenizer, o.maxDuration ?? DURATION_MAX, o.naturalFieldNames ?? false);
    this.eos = o.eosId ?? EOS_ID;
    this.user = o.userValues ?? {};
    this.captionCap = o.captionMaxTokens ?? CAPTION_MAX_TOKENS;
    this.genresCap = o.genresMaxTokens ?? 64;
    const skipGenres = o.skipGenres ?? o.mode !== "understand";
    this.fields = FIELD_ORDER.filter(
      (f) =>
        !((f === "genres" && skipGenres) || (f === "caption" && o.skipCaption) || (f === "language" && o.skipLanguage)),
    );
    this.targetCodes =
      o.targetCodes ??
      (o.targetDuration !== undefined && o.targetDuration > 0
        ? Math.trunc(o.targetDuration * CODES_PER_SECOND)
        : undefined);
    if (o.mode === "codes") {
      this.st = "codes";
    } else {
      this.st = "think";
      this.queue = this.v.fixed.get("<think>")!.slice();
    }
  }

  /** Current state name (debugging). */
  get state(): string {
    return this.st === "value" || this.st === "name" ? `${this.st}:${this.fields[this.fieldIdx]}` : this.st;
  }
  get done(): boolean {
    return this.st === "done";
  }

  /**
   * Tokens allowed at this step. `logits` (the post-CFG logits) are needed for upstream's logit-dependent
   * rules (greedy first language token, caption continuation peek, genres end); without them the FSM
   * allows all language first tokens, ends the caption at a line break and never ends genres early.
   * Cached until `advance`.
   */
  allowedTokens(logits?: Float32Array): Allowed {
    if (!this.cur) this.cur = this.compute(logits);
    return this.cur;
  }

  /**
   * The forced token of this step when it is known without logits (fixed strings, injected values, forced
   * `\n`/EOS), else null. Never caches a logits-free decision for the logit-dependent rules.
   */
  forcedToken(): number | null {
    if (this.cur) return this.cur.kind === "forced" ? this.cur.id : null;
    if (this.needsLogits()) return null;
    const a = this.allowedTokens();
    return a.kind === "forced" ? a.id : null;
  }

  /** True when this step's constraint depends on the logits (language first token, caption peek, genres end). */
  needsLogits(): boolean {
    if (this.cur || this.st !== "value" || this.queue.length) return false;
    const f = this.fields[this.fieldIdx];
    return (
      (f === "language" && this.valueIds.length === 0 && !!this.node && !this.node.terminal) ||
      (f === "caption" && this.afterNl && this.count < this.captionCap) ||
      (f === "genres" && this.hasContent && this.count < this.genresCap)
    );
  }

  /**
   * Set every disallowed logit to -Infinity in place; returns the `Allowed` used. `offset`: the logits are a
   * window of ids [offset, offset + length) (see mask.ts applyAllowed); a step whose rule reads the logits
   * (`needsLogits`) needs the full vocabulary.
   */
  applyMask(logits: Float32Array, offset = 0): Allowed {
    if (offset !== 0 && !this.cur && this.needsLogits())
      throw new Error("constrained: this step's rule reads the full-vocabulary logits, got a window");
    const a = this.allowedTokens(offset === 0 ? logits : undefined);
    applyAllowed(logits, a, offset);
    return a;
  }

  private forced(id: number): Allowed {
    return { kind: "forced", id };
  }

  private compute(logits?: Float32Array): Allowed {
    if (this.st === "done") return this.forced(this.eos);
    if (this.queue.length) return this.forced(this.queue[0]);
    const nl = this.v.newlineId;
    switch (this.st) {
      case "codes":
        if (this.targetCodes === undefined) return { kind: "only", ids: Int32Array.of(this.eos), ranges: CODE_RANGE };
        return this.codesCount < this.targetCodes
          ? { kind: "only", ids: NO_IDS, ranges: CODE_RANGE }
          : this.forced(this.eos);
      case "free":
        return { kind: "except", ids: NO_IDS, ranges: ALL_CODE_RANGE };
      case "value":
        break;
      default:
        throw new Error(`constrained: state ${this.st} with an empty queue`);
    }
    const field = this.fields[this.fieldIdx];
    switch (field) {
      case "bpm":
      case "duration":
      case "timesignature": {
        if (!this.node) return this.forced(nl);
        if (field === "timesignature" && this.node.terminal) return this.forced(nl);
        const ids = this.node.allowed(nl);
        return ids.length ? { kind: "only", ids } : this.forced(nl);
      }
      case "keyscale": {
        if (!this.node || this.node.terminal || this.node.children.size === 0) return this.forced(nl);
        return { kind: "only", ids: this.node.allowed(nl) };
      }
      case "language": {
        if (!this.node || this.node.terminal || this.node.children.size === 0) return this.forced(nl);
        const ids = this.node.allowed(nl);
        if (this.valueIds.length === 0 && logits) return this.forced(argmaxAllowed(logits, { kind: "only", ids }));
        return { kind: "only", ids };
      }
      case "caption": {
        if (this.count >= this.captionCap) {
          this.capHit = true;
          return this.forced(nl);
        }
        const base: Allowed = {
          kind: "except",
          ids: this.hasContent ? this.v.captionBlocked : this.v.captionBlockedNoNewline,
          ranges: ALL_CODE_RANGE,
        };
        if (!this.afterNl) return base;
        const top = logits ? argmaxAllowed(logits, base) : -1;
        if (top >= 0 && this.v.startsWithBlank[top]) return { kind: "only", ids: this.v.captionContinuation };
        this.finishValue();
        return this.compute(logits);
      }
      case "genres": {
        if (this.count >= this.genresCap) return this.forced(nl);
        const base: Allowed = {
          kind: "except",
          ids: this.hasContent ? this.v.genresBlocked : this.v.genresBlockedEmpty,
          ranges: ALL_CODE_RANGE,
        };
        if (this.hasContent && logits) {
          const other = argmaxAllowed(logits, {
            kind: "except",
            ids: this.v.genresBlockedEmpty,
            ranges: ALL_CODE_RANGE,
          });
          if (other < 0 || logits[nl] > logits[other]) return this.forced(nl);
        }
        return base;
      }
    }
  }

  /** Feed the sampled (or forced) token. */
  advance(id: number): void {
    this.cur = null;
    if (this.st === "done") return;
    if (this.st === "codes") {
      if (id === this.eos) this.st = "done";
      else this.codesCount++;
      return;
    }
    if (this.st === "free") {
      if (id === this.eos) this.st = "done";
      return;
    }
    if (this.queue.length) {
      this.queue.shift(); // upstream logs a mismatch and carries on
      if (this.st === "value") this.valueIds.push(id);
      if (!this.queue.length) this.queueDone();
      return;
    }
    if (this.st !== "value") throw new Error(`constrained: advance(${id}) in state ${this.st} with an empty queue`);
    const field = this.fields[this.fieldIdx];
    const nl = this.v.newlineId;
    if (field === "caption") {
      this.count++;
      this.valueIds.push(id);
      const text = this.tok.tokenText(id);
      if (text.includes("\n")) {
        if (this.capHit) this.finishValue();
        else this.afterNl = true;
      } else {
        this.afterNl = false;
      }
      if (text.trim() !== "") this.hasContent = true;
      return;
    }
    if (id === nl) {
      this.finishValue();
      return;
    }
    this.valueIds.push(id);
    if (field === "genres") {
      this.count++;
      if (this.tok.tokenText(id).trim() !== "") this.hasContent = true;
      return;
    }
    this.node = this.node?.children.get(id) ?? null;
  }

  private queueDone(): void {
    switch (this.st) {
      case "think":
        this.st = "think_nl";
        this.queue = this.v.fixed.get("\n")!.slice();
        return;
      case "think_nl":
        this.enterField(0);
        return;
      case "name":
        this.enterValue();
        return;
      case "value": // user value injected
        this.finishValue();
        return;
      case "think_end":
        if (this.mode === "cot") this.st = "done";
        else if (this.mode === "understand") this.st = "free";
        else {
          this.st = "after_think";
          this.queue = [DOUBLE_NEWLINE_ID];
        }
        return;
      case "after_think":
        this.st = "codes";
        if (this.targetCodes === undefined) {
          const d = Number.parseInt(this.values.duration ?? "", 10);
          if (d > 0) this.targetCodes = d * CODES_PER_SECOND;
        }
        return;
    }
  }

  private enterField(i: number): void {
    this.fieldIdx = i;
    if (i >= this.fields.length) {
      this.st = "think_end";
      // phase 1 (stop_at_reasoning): EOS instead of </think>
      this.queue = this.mode === "cot" ? [this.eos] : this.v.fixed.get("</think>")!.slice();
      return;
    }
    this.st = "name";
    this.queue = this.v.fixed.get(`${this.fields[i]}:`)!.slice();
  }

  private enterValue(): void {
    const field = this.fields[this.fieldIdx];
    this.st = "value";
    this.valueIds = [];
    this.count = 0;
    this.afterNl = false;
    this.hasContent = false;
    this.capHit = false;
    this.node = field === "caption" || field === "genres" ? null : this.v.tries[field].root;
    const uv = this.user[field];
    if (uv !== undefined && uv !== null && String(uv) !== "") this.queue = this.tok.encode(` ${uv}\n`);
  }

  private finishValue(): void {
    const field = this.fields[this.fieldIdx];
    const text = this.tok.decode(this.valueIds);
    this.values[field] = field === "caption" ? postprocessCaption(text) : text.trim();
    this.enterField(this.fieldIdx + 1);
  }
}

export function createMetadataFsm(o: MetadataFsmOptions): MetadataFsm {
  return new MetadataFsm(o);
}
