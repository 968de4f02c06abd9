// Lazy safetensors reader: parses the header on open and reads each tensor by
// byte range (fs.readSync into a fresh buffer) only when asked, so the whole
// file never enters the JS heap.
import fs from "node:fs";
import { bytesToFloat32, CheckpointError, type Float32Tensor, type RawTensor } from "./dtypes";
import { parseHeader, type TensorInfo } from "./safetensors-header";

const READ_CHUNK = 1 << 30;

export class SafetensorsFile {
  readonly metadata: Record<string, string>;
  private readonly infos: Map<string, TensorInfo>;
  private fd: number | null;

  private constructor(
    readonly path: string,
    fd: number,
  ) {
    this.fd = fd;
    try {
      const size = fs.fstatSync(fd).size;
      const head = readAt(fd, 0, Math.min(8, size), path);
      const header = parseHeader(path, head, size, (n) => readAt(fd, 8, n, path));
      this.metadata = header.metadata;
      this.infos = new Map(header.tensors.map((t) => [t.name, t]));
    } catch (e) {
      fs.closeSync(fd);
      this.fd = null;
      throw e;
    }
  }

  static open(path: string): SafetensorsFile {
    let fd: number;
    try {
      fd = fs.openSync(path, "r");
    } catch (e) {
      throw new CheckpointError(`safetensors: cannot open ${path}: ${(e as Error).message}`);
    }
    return new SafetensorsFile(path, fd);
  }

  /** tensor names in file order */
  keys(): string[] {
    return [...this.infos.keys()];
  }

  has(name: string): boolean {
    return this.infos.has(name);
  }

  info(name: string): TensorInfo {
    const info = this.infos.get(name);
    if (!info) throw new CheckpointError(`safetensors: tensor ${name} missing from ${this.path}`);
    return info;
  }

  getTensor(name: string): RawTensor {
    const info = this.info(name);
    if (this.fd === null) throw new CheckpointError(`safetensors: ${this.path} is closed (reading ${name})`);
    return {
      name,
      dtype: info.dtype,
      shape: [...info.shape],
      bytes: readAt(this.fd, info.fileOffset, info.byteLength, this.path),
    };
  }

  getFloat32(name: string): Float32Tensor {
    const t = this.getTensor(name);
    return { shape: t.shape, data: bytesToFloat32(t.dtype, t.bytes, `tensor ${name} in ${this.path}`) };
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }
}

export function openSafetensors(path: string): SafetensorsFile {
  return SafetensorsFile.open(path);
}

function readAt(fd: number, position: number, length: number, file: string): Uint8Array {
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, out, done, Math.min(READ_CHUNK, length - done), position + done);
    if (n === 0) throw new CheckpointError(`safetensors: ${file}: unexpected end of file at byte ${position + done}`);
    done += n;
  }
  return out;
}
