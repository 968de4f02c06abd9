// Ports: the LM tokenizer of acestep/llm_inference.py (`AutoTokenizer.from_pretrained(lm_dir)`), following
// its tokenizer.json: the checkpoint's byte-level BPE (tokenizer.json) is run by @huggingface/tokenizers, but the
// 65 535 `<|audio_code_n|>` added tokens are stripped before construction and mapped arithmetically
// (id = 151669 + n), so loading stays ~0.5 s instead of upstream's "80~90 s". `encode` appends nothing
// (no BOS/EOS), like upstream `tokenizer.encode(prompt)`; `decode` keeps special tokens.
import { readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import { AUDIO_CODE_BASE, AUDIO_CODE_TOKENS, LM_VOCAB_SIZE, TEXT_VOCAB_SIZE } from "./tokens";

const AUDIO_CODE_RE = /<\|audio_code_(\d+)\|>/g;
const AUDIO_CODE_EXACT = /^<\|audio_code_(\d+)\|>$/;

interface AddedTokenJson {
  id: number;
  content: string;
  special?: boolean;
}
interface TokenizerJson {
  added_tokens: AddedTokenJson[];
  model: { vocab: Record<string, number> };
  [k: string]: unknown;
}

/** GPT-2 `bytes_to_unicode` inverse: byte-level symbol → byte. */
function byteDecoder(): Map<string, number> {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = bs.slice();
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n);
      n++;
    }
  }
  const m = new Map<string, number>();
  bs.forEach((b, i) => m.set(String.fromCharCode(cs[i]), b));
  return m;
}

export class LmTokenizer {
  private readonly tok: Tokenizer;
  /** Byte-level symbol string of every text-vocab id (0…151668); specials hold their literal text. */
  private readonly symbols: string[];
  private readonly specialIds = new Set<number>();
  private texts: string[] | null = null;
  /** Number of `<|audio_code_n|>` tokens the checkpoint declares (0 for plain Qwen3). */
  readonly declaredAudioCodes: number;

  constructor(json: TokenizerJson, config: Record<string, unknown>) {
    const kept: AddedTokenJson[] = [];
    let codes = 0;
    for (const t of json.added_tokens) {
      const m = AUDIO_CODE_EXACT.exec(t.content);
      if (m) {
        const n = Number(m[1]);
        if (t.id !== AUDIO_CODE_BASE + n) {
          throw new Error(`lm tokenizer: added token ${t.content} has id ${t.id}, expected ${AUDIO_CODE_BASE + n}`);
        }
        codes++;
        continue;
      }
      if (t.id >= TEXT_VOCAB_SIZE) {
        throw new Error(
          `lm tokenizer: unexpected added token ${JSON.stringify(t.content)} with id ${t.id} ≥ ${TEXT_VOCAB_SIZE}`,
        );
      }
      kept.push(t);
    }
    if (codes !== 0 && codes !== AUDIO_CODE_TOKENS) {
      throw new Error(`lm tokenizer: ${codes} audio-code tokens, expected 0 or ${AUDIO_CODE_TOKENS}`);
    }
    this.declaredAudioCodes = codes;
    // The config's added_tokens_decoder may hold the 65k entries too; the JS tokenizer reads only scalars.
    const { added_tokens_decoder: _drop, ...cfg } = config as { added_tokens_decoder?: unknown };
    this.tok = new Tokenizer({ ...json, added_tokens: kept }, cfg);

    this.symbols = new Array<string>(TEXT_VOCAB_SIZE).fill("");
    const vocab = json.model.vocab;
    // for…in: no [key, value] array per entry (Object.entries cost ~3× as much on the 151k entries)
    for (const sym in vocab) {
      const id = vocab[sym];
      if (id < TEXT_VOCAB_SIZE) this.symbols[id] = sym;
    }
    for (const t of kept) {
      this.symbols[t.id] = t.content;
      this.specialIds.add(t.id);
    }
  }

  /** Logits length of the ACE-Step LM (always 217 204; codes are arithmetic even for plain Qwen3 json). */
  get vocabSize(): number {
    return LM_VOCAB_SIZE;
  }

  /** Token ids of `text`; `<|audio_code_n|>` (n ≤ 65534, canonical decimal) → 151669 + n; nothing appended. */
  encode(text: string): number[] {
    const out: number[] = [];
    let last = 0;
    AUDIO_CODE_RE.lastIndex = 0;
    for (let m = AUDIO_CODE_RE.exec(text); m; m = AUDIO_CODE_RE.exec(text)) {
      const n = Number(m[1]);
      if (n >= AUDIO_CODE_TOKENS || String(n) !== m[1]) continue; // not a vocabulary token: plain text
      if (m.index > last) this.encodeText(text.slice(last, m.index), out);
      out.push(AUDIO_CODE_BASE + n);
      last = m.index + m[0].length;
    }
    if (last < text.length) this.encodeText(text.slice(last), out);
    return out;
  }

  private encodeText(s: string, out: number[]): void {
    const ids = this.tok.encode(s, { add_special_tokens: false }).ids;
    for (const id of ids) out.push(id);
  }

  /** Text of `ids` with special tokens kept (upstream `skip_special_tokens=False`). */
  decode(ids: readonly number[]): string {
    let s = "";
    let run: number[] = [];
    const flush = () => {
      if (run.length) s += this.tok.decode(run, { skip_special_tokens: false, clean_up_tokenization_spaces: false });
      run = [];
    };
    for (const id of ids) {
      if (id >= AUDIO_CODE_BASE && id < LM_VOCAB_SIZE) {
        flush();
        s += `<|audio_code_${id - AUDIO_CODE_BASE}|>`;
      } else if (Number.isInteger(id) && id >= 0 && id < TEXT_VOCAB_SIZE) {
        run.push(id);
      } else {
        throw new Error(`lm tokenizer: token id ${id} outside 0…${LM_VOCAB_SIZE - 1}`);
      }
    }
    flush();
    return s;
  }

  /** Decoded text of one token, as upstream `tokenizer.decode([id])` (partial UTF-8 → U+FFFD). */
  tokenText(id: number): string {
    if (id >= AUDIO_CODE_BASE && id < LM_VOCAB_SIZE) return `<|audio_code_${id - AUDIO_CODE_BASE}|>`;
    return this.allTokenTexts()[id] ?? "";
  }

  /** Decoded text of every text-vocab id 0…151668 (computed once, ~0.1 s). */
  allTokenTexts(): readonly string[] {
    if (this.texts) return this.texts;
    const dec = byteDecoder();
    const td = new TextDecoder("utf-8", { fatal: false });
    const texts = new Array<string>(TEXT_VOCAB_SIZE);
    for (let id = 0; id < TEXT_VOCAB_SIZE; id++) {
      const sym = this.symbols[id];
      if (this.specialIds.has(id)) {
        texts[id] = sym;
        continue;
      }
      const bytes = new Uint8Array(sym.length);
      let ok = true;
      for (let i = 0; i < sym.length; i++) {
        const b = dec.get(sym[i]);
        if (b === undefined) ok = false;
        bytes[i] = b ?? 0;
      }
      texts[id] = ok ? td.decode(bytes) : sym;
    }
    this.texts = texts;
    return texts;
  }

  isSpecial(id: number): boolean {
    return this.specialIds.has(id);
  }

  /** Id of a whole token string (`"<think>"`, `"Ċ"`), or undefined. */
  tokenToId(token: string): number | undefined {
    const m = AUDIO_CODE_EXACT.exec(token);
    if (m && Number(m[1]) < AUDIO_CODE_TOKENS && String(Number(m[1])) === m[1]) return AUDIO_CODE_BASE + Number(m[1]);
    return this.tok.token_to_id(token);
  }
}

/** Build from already-parsed tokenizer.json / tokenizer_config.json objects. */
export function createLmTokenizer(json: unknown, config: unknown = {}): LmTokenizer {
  return new LmTokenizer(json as TokenizerJson, (config ?? {}) as Record<string, unknown>);
}

const cache = new Map<string, LmTokenizer>();

/**
 * Load (and cache per resolved path) a checkpoint tokenizer. `path` is a tokenizer.json file or the
 * checkpoint directory holding tokenizer.json; tokenizer_config.json next to it is used when present.
 */
export function loadLmTokenizer(path: string): LmTokenizer {
  const abs = resolve(path);
  const file = statSync(abs).isDirectory() ? join(abs, "tokenizer.json") : abs;
  const hit = cache.get(file);
  if (hit) return hit;
  const json = JSON.parse(readFileSync(file, "utf8")) as TokenizerJson;
  let config: Record<string, unknown> = {};
  try {
    config = JSON.parse(readFileSync(join(dirname(file), "tokenizer_config.json"), "utf8"));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  const t = new LmTokenizer(json, config);
  cache.set(file, t);
  return t;
}
