// A minimal Python pickle VM (protocols 2-4 subset) covering what torch.save
// emits for tensors, plus a tiny opcode writer. Globals, REDUCE/NEWOBJ and
// persistent ids are delegated to hooks, so no arbitrary code is modelled.
import { CheckpointError } from "./dtypes";

export interface PyGlobal {
  kind: "global";
  module: string;
  name: string;
}
export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyValue[]
  | Map<PyValue, PyValue>
  | PyGlobal
  | { kind: string; [k: string]: unknown };

export interface UnpickleHooks {
  /** BINPERSID: turn a persistent id into a value */
  persistentLoad(pid: PyValue): PyValue;
  /** REDUCE / NEWOBJ: apply a global callable to its argument tuple */
  call(fn: PyValue, args: PyValue[]): PyValue;
}

const MARK = Symbol("mark");

export function unpickle(bytes: Uint8Array, hooks: UnpickleHooks, what = "pickle"): PyValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = new TextDecoder();
  const stack: (PyValue | typeof MARK)[] = [];
  const memo = new Map<number, PyValue>();
  let p = 0;
  const fail = (why: string): never => {
    throw new CheckpointError(`pickle: ${what}: ${why} at byte ${p}`);
  };
  const need = (n: number) => (p + n > bytes.length ? fail("truncated data") : undefined);
  const u8 = () => (need(1), bytes[p++]);
  const u16 = () => (need(2), (p += 2), view.getUint16(p - 2, true));
  const u32 = () => (need(4), (p += 4), view.getUint32(p - 4, true));
  const take = (n: number) => (need(n), (p += n), bytes.subarray(p - n, p));
  const line = () => {
    const end = bytes.indexOf(0x0a, p);
    if (end < 0) fail("unterminated GLOBAL line");
    const s = text.decode(bytes.subarray(p, end));
    p = end + 1;
    return s;
  };
  const pop = (): PyValue => {
    const v = stack.pop();
    if (v === undefined || v === MARK) return fail("stack underflow");
    return v as PyValue;
  };
  const top = (): PyValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) return fail("stack underflow");
    return v as PyValue;
  };
  const popMark = (): PyValue[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) fail("MARK missing");
    const items = stack.splice(i) as PyValue[];
    return items.slice(1);
  };
  const setItems = (d: PyValue, kv: PyValue[]) => {
    if (!(d instanceof Map)) fail("SETITEM(S) on a non-dict");
    for (let i = 0; i + 1 < kv.length; i += 2) (d as Map<PyValue, PyValue>).set(kv[i], kv[i + 1]);
  };
  for (;;) {
    if (p >= bytes.length) fail("no STOP opcode (truncated)");
    const op = bytes[p++];
    switch (op) {
      case 0x80:
        u8();
        break; // PROTO
      case 0x95:
        take(8);
        break; // FRAME
      case 0x63: {
        const module = line();
        stack.push({ kind: "global", module, name: line() });
        break;
      } // GLOBAL
      case 0x93: {
        const name = pop();
        stack.push({ kind: "global", module: String(pop()), name: String(name) });
        break;
      } // STACK_GLOBAL
      case 0x71:
        memo.set(u8(), top());
        break; // BINPUT
      case 0x72:
        memo.set(u32(), top());
        break; // LONG_BINPUT
      case 0x94:
        memo.set(memo.size, top());
        break; // MEMOIZE
      case 0x68:
      case 0x6a: {
        const k = op === 0x68 ? u8() : u32();
        if (!memo.has(k)) fail(`memo ${k} missing`);
        stack.push(memo.get(k)!);
        break;
      } // BINGET/LONG_BINGET
      case 0x28:
        stack.push(MARK);
        break;
      case 0x74:
        stack.push(popMark());
        break; // TUPLE
      case 0x29:
        stack.push([]);
        break; // EMPTY_TUPLE
      case 0x85:
        stack.push([pop()]);
        break; // TUPLE1
      case 0x86: {
        const b = pop();
        stack.push([pop(), b]);
        break;
      } // TUPLE2
      case 0x87: {
        const c = pop();
        const b = pop();
        stack.push([pop(), b, c]);
        break;
      } // TUPLE3
      case 0x5d:
        stack.push([]);
        break; // EMPTY_LIST
      case 0x6c:
        stack.push(popMark());
        break; // LIST
      case 0x61: {
        const v = pop();
        const l = top();
        if (!Array.isArray(l)) fail("APPEND on a non-list");
        (l as PyValue[]).push(v);
        break;
      }
      case 0x65: {
        const items = popMark();
        const l = top();
        if (!Array.isArray(l)) fail("APPENDS on a non-list");
        (l as PyValue[]).push(...items);
        break;
      }
      case 0x7d:
        stack.push(new Map());
        break; // EMPTY_DICT
      case 0x64: {
        const d = new Map<PyValue, PyValue>();
        setItems(d, popMark());
        stack.push(d);
        break;
      } // DICT
      case 0x73: {
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      } // SETITEM
      case 0x75: {
        const kv = popMark();
        setItems(top(), kv);
        break;
      } // SETITEMS
      case 0x4a:
        need(4);
        stack.push(view.getInt32(p, true));
        p += 4;
        break; // BININT
      case 0x4b:
        stack.push(u8());
        break; // BININT1
      case 0x4d:
        stack.push(u16());
        break; // BININT2
      case 0x8a:
        stack.push(readLong(take(u8())));
        break; // LONG1
      case 0x58:
        stack.push(text.decode(take(u32())));
        break; // BINUNICODE
      case 0x8c:
        stack.push(text.decode(take(u8())));
        break; // SHORT_BINUNICODE
      case 0x54:
        stack.push(text.decode(take(u32())));
        break; // BINSTRING
      case 0x55:
        stack.push(text.decode(take(u8())));
        break; // SHORT_BINSTRING
      case 0x42:
        stack.push(take(u32()).slice());
        break; // BINBYTES
      case 0x43:
        stack.push(take(u8()).slice());
        break; // SHORT_BINBYTES
      case 0x88:
        stack.push(true);
        break;
      case 0x89:
        stack.push(false);
        break;
      case 0x4e:
        stack.push(null);
        break;
      case 0x47:
        need(8);
        stack.push(view.getFloat64(p, false));
        p += 8;
        break; // BINFLOAT
      case 0x51:
        stack.push(hooks.persistentLoad(pop()));
        break; // BINPERSID
      case 0x52:
      case 0x81: {
        const args = pop();
        const fn = pop();
        if (!Array.isArray(args)) fail("REDUCE/NEWOBJ arguments are not a tuple");
        stack.push(hooks.call(fn, args as PyValue[]));
        break;
      }
      case 0x62:
        pop();
        break; // BUILD: object state is not modelled (torch tensors carry none)
      case 0x2e: {
        const v = pop();
        return v;
      } // STOP
      default:
        fail(`unsupported opcode 0x${op.toString(16).padStart(2, "0")}`);
    }
  }
}

function readLong(b: Uint8Array): number | bigint {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  if (b.length && b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** Emits pickle opcodes (protocol 2) the way CPython's pickler encodes the same values, without memoization. */
export class PickleWriter {
  private readonly out: number[] = [];
  private readonly enc = new TextEncoder();
  proto(v = 2): this {
    return this.raw(0x80, v);
  }
  global(module: string, name: string): this {
    return this.raw(0x63).bytes(this.enc.encode(`${module}\n${name}\n`));
  }
  mark(): this {
    return this.raw(0x28);
  }
  tuple(): this {
    return this.raw(0x74);
  }
  emptyTuple(): this {
    return this.raw(0x29);
  }
  emptyDict(): this {
    return this.raw(0x7d);
  }
  /** a tuple of small non-negative ints, using TUPLE1-3 like CPython for short ones */
  intTuple(values: readonly number[]): this {
    if (values.length === 0) return this.emptyTuple();
    if (values.length > 3) this.mark();
    values.forEach((v) => this.int(v));
    return values.length > 3 ? this.tuple() : this.raw([0, 0x85, 0x86, 0x87][values.length]);
  }
  int(v: number): this {
    if (!Number.isSafeInteger(v)) throw new CheckpointError(`pickle: cannot encode ${v} as an int`);
    if (v >= 0 && v < 0x100) return this.raw(0x4b, v);
    if (v >= 0 && v < 0x10000) return this.raw(0x4d, v & 0xff, v >>> 8);
    if (v >= -0x80000000 && v < 0x80000000)
      return this.raw(0x4a, v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
    const b: number[] = [];
    let x = BigInt(v);
    do {
      b.push(Number(x & 0xffn));
      x >>= 8n;
    } while (!(x === 0n && !(b[b.length - 1] & 0x80)) && !(x === -1n && b[b.length - 1] & 0x80));
    return this.raw(0x8a, b.length, ...b);
  }
  str(s: string): this {
    const b = this.enc.encode(s);
    return this.raw(0x58, b.length & 0xff, (b.length >>> 8) & 0xff, (b.length >>> 16) & 0xff, b.length >>> 24).bytes(b);
  }
  bool(v: boolean): this {
    return this.raw(v ? 0x88 : 0x89);
  }
  none(): this {
    return this.raw(0x4e);
  }
  binpersid(): this {
    return this.raw(0x51);
  }
  reduce(): this {
    return this.raw(0x52);
  }
  stop(): this {
    return this.raw(0x2e);
  }
  finish(): Uint8Array {
    return Uint8Array.from(this.out);
  }
  private raw(...ops: number[]): this {
    this.out.push(...ops);
    return this;
  }
  private bytes(b: Uint8Array): this {
    for (const x of b) this.out.push(x);
    return this;
  }
}
