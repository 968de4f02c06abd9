// Minimal zip archive support for PyTorch .pt files: a reader (central
// directory, stored and deflated entries, zip64 sizes/offsets, CRC check) and
// a writer of stored entries whose data start on 64-byte boundaries, padded
// through a local "FB" extra field the way torch's PyTorchStreamWriter does.
import fs from "node:fs";
import { inflateRawSync } from "node:zlib";
import { CheckpointError } from "./dtypes";

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_EOCD64_LOCATOR = 0x07064b50;

export interface ZipEntry {
  name: string;
  method: number;
  crc32: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export class ZipReader {
  readonly entries: Map<string, ZipEntry>;
  private constructor(
    readonly path: string,
    private readonly fd: number,
    readonly size: number,
  ) {
    this.entries = new Map(readCentralDirectory(this).map((e) => [e.name, e]));
  }

  static open(file: string): ZipReader {
    let fd: number;
    try {
      fd = fs.openSync(file, "r");
    } catch (e) {
      throw new CheckpointError(`zip: cannot open ${file}: ${(e as Error).message}`);
    }
    try {
      return new ZipReader(file, fd, fs.fstatSync(fd).size);
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
  }

  readRange(position: number, length: number): Buffer {
    if (position < 0 || position + length > this.size)
      throw new CheckpointError(
        `zip: ${this.path}: truncated (needs bytes ${position}..${position + length} of a ${this.size}-byte file)`,
      );
    const out = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const n = fs.readSync(this.fd, out, done, length - done, position + done);
      if (n === 0) throw new CheckpointError(`zip: ${this.path}: unexpected end of file`);
      done += n;
    }
    return out;
  }

  /** The uncompressed bytes of one entry, CRC-checked, in a fresh buffer. */
  read(name: string): Uint8Array {
    const e = this.entries.get(name);
    if (!e) throw new CheckpointError(`zip: ${this.path}: no entry ${name}`);
    const local = this.readRange(e.localHeaderOffset, 30);
    if (local.readUInt32LE(0) !== SIG_LOCAL)
      throw new CheckpointError(`zip: ${this.path}: entry ${name} has a bad local header`);
    const dataStart = e.localHeaderOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
    const raw = this.readRange(dataStart, e.compressedSize);
    let data: Uint8Array;
    if (e.method === 0) data = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
    else if (e.method === 8) {
      try {
        data = new Uint8Array(inflateRawSync(raw));
      } catch (err) {
        throw new CheckpointError(
          `zip: ${this.path}: entry ${name}: deflate data is corrupt (${(err as Error).message})`,
        );
      }
    } else
      throw new CheckpointError(`zip: ${this.path}: entry ${name} uses unsupported compression method ${e.method}`);
    if (data.byteLength !== e.size)
      throw new CheckpointError(
        `zip: ${this.path}: entry ${name} is ${data.byteLength} bytes, directory says ${e.size}`,
      );
    if (crc32(data) !== e.crc32)
      throw new CheckpointError(`zip: ${this.path}: entry ${name} fails its CRC check (corrupt file)`);
    return data;
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

function readCentralDirectory(zip: ZipReader): ZipEntry[] {
  const notZip = (why: string) => new CheckpointError(`zip: ${zip.path} is not a readable zip archive (${why})`);
  if (zip.size < 22) throw notZip(`only ${zip.size} bytes`);
  const tailLen = Math.min(zip.size, 22 + 0xffff);
  const tail = zip.readRange(zip.size - tailLen, tailLen);
  let at = -1;
  for (let i = tail.length - 22; i >= 0; i--)
    if (tail.readUInt32LE(i) === SIG_EOCD) {
      at = i;
      break;
    }
  if (at < 0) throw notZip("no end-of-central-directory record; truncated or not a zip");
  let count = tail.readUInt16LE(at + 10);
  let cdSize = tail.readUInt32LE(at + 12);
  let cdOffset = tail.readUInt32LE(at + 16);
  if (
    (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) &&
    at >= 20 &&
    tail.readUInt32LE(at - 20) === SIG_EOCD64_LOCATOR
  ) {
    const eocd64 = zip.readRange(Number(tail.readBigUInt64LE(at - 20 + 8)), 56);
    if (eocd64.readUInt32LE(0) !== SIG_EOCD64) throw notZip("bad zip64 end-of-central-directory record");
    count = Number(eocd64.readBigUInt64LE(32));
    cdSize = Number(eocd64.readBigUInt64LE(40));
    cdOffset = Number(eocd64.readBigUInt64LE(48));
  }
  if (cdOffset + cdSize > zip.size) throw notZip("central directory lies past the end of the file; truncated");
  const cd = zip.readRange(cdOffset, cdSize);
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== SIG_CENTRAL)
      throw notZip(`central directory entry ${i} is damaged`);
    const nameLen = cd.readUInt16LE(p + 28);
    const extraLen = cd.readUInt16LE(p + 30);
    const commentLen = cd.readUInt16LE(p + 32);
    const e: ZipEntry = {
      name: cd.toString("utf8", p + 46, p + 46 + nameLen),
      method: cd.readUInt16LE(p + 10),
      crc32: cd.readUInt32LE(p + 16),
      compressedSize: cd.readUInt32LE(p + 20),
      size: cd.readUInt32LE(p + 24),
      localHeaderOffset: cd.readUInt32LE(p + 42),
    };
    applyZip64Extra(e, cd.subarray(p + 46 + nameLen, p + 46 + nameLen + extraLen));
    entries.push(e);
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

function applyZip64Extra(e: ZipEntry, extra: Buffer): void {
  for (let q = 0; q + 4 <= extra.length;) {
    const id = extra.readUInt16LE(q);
    const len = extra.readUInt16LE(q + 2);
    if (id === 0x0001) {
      let r = q + 4;
      const next = () => {
        const v = Number(extra.readBigUInt64LE(r));
        r += 8;
        return v;
      };
      if (e.size === 0xffffffff) e.size = next();
      if (e.compressedSize === 0xffffffff) e.compressedSize = next();
      if (e.localHeaderOffset === 0xffffffff) e.localHeaderOffset = next();
    }
    q += 4 + len;
  }
}

/** Writes stored (uncompressed) entries, each entry's data aligned to `alignment` bytes. No zip64: < 4 GiB only. */
export function writeZip(file: string, entries: readonly { name: string; data: Uint8Array }[], alignment = 64): void {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const { name, data } of entries) {
    const nameBytes = Buffer.from(name, "utf8");
    const start = offset + 30 + nameBytes.length + 4;
    const padding = (alignment - (start % alignment)) % alignment;
    const extra = Buffer.alloc(4 + padding, "Z");
    extra.writeUInt16LE(0x4246, 0); // "FB"
    extra.writeUInt16LE(padding, 2);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(SIG_LOCAL, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // flags: UTF-8 names
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt16LE(0, 10); // time
    local.writeUInt16LE(0x21, 12); // date 1980-01-01
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.byteLength, 18);
    local.writeUInt32LE(data.byteLength, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(extra.length, 28);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(SIG_CENTRAL, 0);
    cd.writeUInt16LE(20, 4);
    cd.writeUInt16LE(20, 6);
    local.copy(cd, 8, 6, 26); // flags, method, time, date, crc, sizes
    cd.writeUInt16LE(nameBytes.length, 28);
    cd.writeUInt32LE(offset, 42);
    central.push(cd, nameBytes);
    parts.push(local, nameBytes, extra, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    offset += 30 + nameBytes.length + extra.length + data.byteLength;
  }
  const cdSize = central.reduce((a, b) => a + b.length, 0);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(SIG_EOCD, 0);
  eocd.writeUInt16LE(entries.length, 8);
  eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(cdSize, 12);
  eocd.writeUInt32LE(offset, 16);
  if (offset + cdSize > 0xffffffff)
    throw new CheckpointError(`zip: ${file}: archive over 4 GiB needs zip64, which the writer does not support`);
  fs.writeFileSync(file, Buffer.concat([...parts, ...central, eocd]));
}
