// Ports: the part of PyYAML 6 (`yaml.dump(items, allow_unicode=True, sort_keys=True)`) that upstream
// `_format_metadata_as_cot` (acestep/llm_inference.py) relies on: a flat block mapping of int / float / str
// scalars, keys sorted, the emitter's scalar analysis (plain vs single vs double quoted, implicit-resolver
// check) and its 80-column folding (best_width 80, indent 2). Python counts code points, so we do too.

export type YamlScalar = string | number;

const BREAKS = "\n\x85\u2028\u2029";
const WS_OR_END = "\0 \t\r\n\x85\u2028\u2029";
const BEST_WIDTH = 80;
const INDENT = 2;

// PyYAML implicit resolvers (yaml/resolver.py): a plain str matching one of these would load as another type.
const IMPLICIT: RegExp[] = [
  /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/,
  /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/,
  /^(?:<<)$/,
  /^(?:~|null|Null|NULL|)$/,
  /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$/,
  /^(?:=)$/,
];

function isUnicodePrintable(ch: string): boolean {
  const c = ch.codePointAt(0)!;
  return (
    (c === 0x85 || (c >= 0xa0 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c < 0x10ffff)) &&
    c !== 0xfeff
  );
}
const isAsciiPrintable = (ch: string) => ch >= "\x20" && ch <= "\x7e";

/** PyYAML `Emitter.analyze_scalar` + `choose_scalar_style` for a block-mapping value: '' | "'" | '"'. */
export function chooseStyle(text: string): "" | "'" | '"' {
  const s = Array.from(text);
  if (s.length === 0) return "'";
  let _flowInd = false,
    blockInd = false,
    lineBreaks = false,
    special = false;
  let leadSpace = false,
    leadBreak = false,
    trailSpace = false,
    trailBreak = false,
    breakSpace = false,
    spaceBreak = false;
  if (text.startsWith("---") || text.startsWith("...")) _flowInd = blockInd = true;
  let preceded = true;
  let followed = s.length === 1 || WS_OR_END.includes(s[1]);
  let prevSpace = false,
    prevBreak = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (i === 0) {
      if ("#,[]{}&*!|>'\"%@`".includes(ch)) _flowInd = blockInd = true;
      if (ch === "?" || ch === ":") {
        _flowInd = true;
        if (followed) blockInd = true;
      }
      if (ch === "-" && followed) _flowInd = blockInd = true;
    } else {
      if (",?[]{}".includes(ch)) _flowInd = true;
      if (ch === ":") {
        _flowInd = true;
        if (followed) blockInd = true;
      }
      if (ch === "#" && preceded) _flowInd = blockInd = true;
    }
    if (BREAKS.includes(ch)) lineBreaks = true;
    if (!(ch === "\n" || isAsciiPrintable(ch)) && !isUnicodePrintable(ch)) special = true;
    if (ch === " ") {
      if (i === 0) leadSpace = true;
      if (i === s.length - 1) trailSpace = true;
      if (prevBreak) breakSpace = true;
      prevSpace = true;
      prevBreak = false;
    } else if (BREAKS.includes(ch)) {
      if (i === 0) leadBreak = true;
      if (i === s.length - 1) trailBreak = true;
      if (prevSpace) spaceBreak = true;
      prevSpace = false;
      prevBreak = true;
    } else {
      prevSpace = prevBreak = false;
    }
    preceded = WS_OR_END.includes(ch);
    followed = i + 2 >= s.length || WS_OR_END.includes(s[i + 2]);
  }
  let plain = true,
    single = true;
  if (leadSpace || leadBreak || trailSpace || trailBreak) plain = false;
  if (breakSpace) plain = single = false;
  if (spaceBreak || special) plain = single = false;
  if (lineBreaks) plain = false;
  if (blockInd) plain = false;
  const implicitStr = !IMPLICIT.some((re) => re.test(text));
  if (implicitStr && plain) return "";
  if (single) return "'";
  return '"';
}

/** Writes scalars after `key:` with PyYAML's column bookkeeping. */
class Writer {
  out = "";
  column = 0;
  whitespace = false;
  indention = false;
  write(s: string) {
    this.out += s;
    this.column += Array.from(s).length;
    this.indention = false;
  }
  /** PyYAML `write_indent` (mapping value indent 2). */
  indent() {
    if (!this.indention || this.column > INDENT || (this.column === INDENT && !this.whitespace)) this.lineBreak();
    if (this.column < INDENT) {
      this.out += " ".repeat(INDENT - this.column);
      this.column = INDENT;
      this.whitespace = true;
    }
  }
  lineBreak(br = "\n") {
    this.out += br;
    this.column = 0;
    this.whitespace = true;
    this.indention = true;
  }
}

function writePlain(w: Writer, s: string[]) {
  if (!s.length) return;
  if (!w.whitespace) w.write(" ");
  w.whitespace = false;
  let spaces = false,
    start = 0;
  for (let end = 0; end <= s.length; end++) {
    const ch = end < s.length ? s[end] : null;
    if (spaces) {
      if (ch !== " ") {
        if (start + 1 === end && w.column > BEST_WIDTH) {
          w.indent();
          w.whitespace = false;
        } else w.write(s.slice(start, end).join(""));
        start = end;
      }
    } else if (ch === null || ch === " ") {
      w.write(s.slice(start, end).join(""));
      start = end;
    }
    if (ch !== null) spaces = ch === " ";
  }
}

function writeSingle(w: Writer, s: string[]) {
  w.write(w.whitespace ? "'" : " '");
  w.whitespace = false;
  let spaces = false,
    breaks = false,
    start = 0;
  for (let end = 0; end <= s.length; end++) {
    const ch = end < s.length ? s[end] : null;
    if (spaces) {
      if (ch === null || ch !== " ") {
        if (start + 1 === end && w.column > BEST_WIDTH && start !== 0 && end !== s.length) w.indent();
        else w.write(s.slice(start, end).join(""));
        start = end;
      }
    } else if (breaks) {
      if (ch === null || !BREAKS.includes(ch)) {
        if (s[start] === "\n") w.lineBreak();
        for (const br of s.slice(start, end)) w.lineBreak(br === "\n" ? "\n" : br);
        w.indent();
        start = end;
      }
    } else if (ch === null || BREAKS.includes(ch) || ch === " " || ch === "'") {
      if (start < end) {
        w.write(s.slice(start, end).join(""));
        start = end;
      }
    }
    if (ch === "'") {
      w.write("''");
      start = end + 1;
    }
    if (ch !== null) {
      spaces = ch === " ";
      breaks = BREAKS.includes(ch);
    }
  }
  w.write("'");
}

const ESCAPES: Record<string, string> = {
  "\0": "0",
  "\x07": "a",
  "\x08": "b",
  "\x09": "t",
  "\x0A": "n",
  "\x0B": "v",
  "\x0C": "f",
  "\x0D": "r",
  "\x1B": "e",
  '"': '"',
  "\\": "\\",
  "\x85": "N",
  "\xA0": "_",
  "\u2028": "L",
  "\u2029": "P",
};

function writeDouble(w: Writer, s: string[]) {
  w.write(w.whitespace ? '"' : ' "');
  w.whitespace = false;
  let start = 0;
  for (let end = 0; end <= s.length; end++) {
    const ch = end < s.length ? s[end] : null;
    const c = ch === null ? 0 : ch.codePointAt(0)!;
    if (
      ch === null ||
      '"\\\x85\u2028\u2029\uFEFF'.includes(ch) ||
      !(isAsciiPrintable(ch) || (c >= 0xa0 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd))
    ) {
      if (start < end) {
        w.write(s.slice(start, end).join(""));
        start = end;
      }
      if (ch !== null) {
        const hex = (n: number, d: number) => n.toString(16).toUpperCase().padStart(d, "0");
        const data =
          ch in ESCAPES
            ? "\\" + ESCAPES[ch]
            : c <= 0xff
              ? "\\x" + hex(c, 2)
              : c <= 0xffff
                ? "\\u" + hex(c, 4)
                : "\\U" + hex(c, 8);
        w.write(data);
        start = end + 1;
      }
    }
    if (end > 0 && end < s.length - 1 && (ch === " " || start >= end) && w.column + (end - start) > BEST_WIDTH) {
      const data = s.slice(start, end).join("") + "\\";
      if (start < end) start = end;
      w.write(data);
      w.indent();
      w.whitespace = false;
      if (s[start] === " ") w.write("\\");
    }
  }
  w.write('"');
}

/** Python `repr(float)`-like text for a non-integer number as PyYAML represents floats. */
function floatText(x: number): string {
  if (Number.isNaN(x)) return ".nan";
  if (!Number.isFinite(x)) return x > 0 ? ".inf" : "-.inf";
  let t = String(x).toLowerCase();
  if (!t.includes(".") && t.includes("e")) t = t.replace("e", ".0e");
  return t;
}

/** `yaml.dump(mapping, allow_unicode=True, sort_keys=True)` for a flat mapping of scalars (no trailing \n). */
export function dumpYamlMapping(items: Record<string, YamlScalar>): string {
  const keys = Object.keys(items).sort();
  if (!keys.length) return "{}";
  const lines: string[] = [];
  for (const k of keys) {
    const v = items[k];
    const w = new Writer();
    w.write(k + ":");
    if (typeof v === "number") {
      w.write(" " + (Number.isInteger(v) ? String(v) : floatText(v)));
    } else {
      const style = chooseStyle(v);
      const chars = Array.from(v);
      if (style === "") writePlain(w, chars);
      else if (style === "'") writeSingle(w, chars);
      else writeDouble(w, chars);
    }
    lines.push(w.out);
  }
  return lines.join("\n");
}
