// Reader and writer for PyTorch `torch.save` zip archives holding one tensor
// (e.g. silence_latent.pt: float32 [1, 64, 15000]). Layout: <archive>/data.pkl
// (pickle: torch._utils._rebuild_tensor_v2 over a persistent storage id
// ('storage', torch.FloatStorage, key, location, numel)), <archive>/data/<key>
// (raw little-endian storage bytes), <archive>/version, <archive>/byteorder.
import path from "node:path";
import {
  bytesToFloat32,
  CheckpointError,
  type Dtype,
  DTYPE_SIZES,
  type Float32Tensor,
  numelOf,
  type RawTensor,
} from "./dtypes";
import { PickleWriter, type PyGlobal, type PyValue, unpickle } from "./pickle";
import { writeZip, ZipReader } from "./zip";

const STORAGE_DTYPES: Record<string, Dtype> = {
  FloatStorage: "F32",
  DoubleStorage: "F64",
  HalfStorage: "F16",
  BFloat16Storage: "BF16",
  LongStorage: "I64",
  IntStorage: "I32",
  ShortStorage: "I16",
  CharStorage: "I8",
  ByteStorage: "U8",
  BoolStorage: "BOOL",
};
const DTYPE_STORAGES = Object.fromEntries(Object.entries(STORAGE_DTYPES).map(([k, v]) => [v, k])) as Record<
  Dtype,
  string
>;

interface StorageRef {
  kind: "storage";
  dtype: Dtype;
  key: string;
  numel: number;
}
interface TensorRef {
  kind: "tensor";
  storage: StorageRef;
  offset: number;
  shape: number[];
  stride: number[];
}

const isGlobal = (v: PyValue, module: string, name: string) =>
  typeof v === "object" &&
  v !== null &&
  (v as PyGlobal).kind === "global" &&
  (v as PyGlobal).module === module &&
  (v as PyGlobal).name === name;

/** Runs data.pkl of a torch archive; tensors come back as TensorRef, dicts as Map. */
export function unpickleTorch(pkl: Uint8Array, what: string): PyValue {
  const fail = (why: string): never => {
    throw new CheckpointError(`torch-pt: ${what}: ${why}`);
  };
  const ints = (v: PyValue, field: string): number[] =>
    Array.isArray(v) && v.every((x) => Number.isSafeInteger(x))
      ? (v as number[])
      : fail(`${field} is not a tuple of ints`);
  return unpickle(
    pkl,
    {
      persistentLoad(pid) {
        if (!Array.isArray(pid) || pid[0] !== "storage" || pid.length < 5)
          return fail(`unsupported persistent id ${JSON.stringify(pid)}`);
        const [, cls, key, , numel] = pid;
        const g = cls as PyGlobal;
        const dtype = g?.kind === "global" && g.module === "torch" ? STORAGE_DTYPES[g.name] : undefined;
        if (!dtype) return fail(`unsupported storage type ${g?.module}.${g?.name}`);
        if (typeof key !== "string" || !Number.isSafeInteger(numel)) return fail("malformed storage id");
        return { kind: "storage", dtype, key, numel: numel as number } satisfies StorageRef;
      },
      call(fn, args) {
        if (isGlobal(fn, "torch._utils", "_rebuild_tensor_v2")) {
          const [storage, offset, size, stride] = args as unknown[];
          if ((storage as StorageRef | null)?.kind !== "storage") return fail("_rebuild_tensor_v2 without a storage");
          if (!Number.isSafeInteger(offset)) return fail("storage offset is not an int");
          const t: TensorRef = {
            kind: "tensor",
            storage: storage as StorageRef,
            offset: offset as number,
            shape: ints(size as PyValue, "size"),
            stride: ints(stride as PyValue, "stride"),
          };
          return t as unknown as PyValue;
        }
        if (isGlobal(fn, "torch._utils", "_rebuild_parameter")) return args[0];
        if (isGlobal(fn, "collections", "OrderedDict")) return new Map();
        const g = fn as PyGlobal;
        return fail(`unsupported callable ${g?.kind === "global" ? `${g.module}.${g.name}` : typeof fn}`);
      },
    },
    what,
  );
}

function describe(v: PyValue): string {
  if (v instanceof Map) return "a dict";
  if (Array.isArray(v)) return "a tuple/list";
  if (v === null) return "None";
  if (typeof v === "object" && "kind" in v) return `a ${v.kind}`;
  return `a ${typeof v}`;
}

/** Reads the single tensor stored in a torch.save archive. Non-contiguous tensors are rejected. */
export function readTorchTensor(file: string): RawTensor {
  let zip: ZipReader;
  try {
    zip = ZipReader.open(file);
  } catch (e) {
    if (e instanceof CheckpointError)
      throw new CheckpointError(
        `torch-pt: ${file} is not a torch.save zip archive: ${e.message} (the legacy non-zip format is not supported)`,
      );
    throw e;
  }
  try {
    const pklName = [...zip.entries.keys()].find((n) => n === "data.pkl" || n.endsWith("/data.pkl"));
    if (!pklName)
      throw new CheckpointError(`torch-pt: ${file}: zip archive has no data.pkl entry (not written by torch.save)`);
    const prefix = pklName.slice(0, -"data.pkl".length);
    const value = unpickleTorch(zip.read(pklName), `${file}:${pklName}`);
    if (typeof value !== "object" || value === null || (value as { kind?: string }).kind !== "tensor") {
      throw new CheckpointError(`torch-pt: ${file}: payload is ${describe(value)}, expected a single tensor`);
    }
    const t = value as unknown as TensorRef;
    const { dtype, key, numel: storageNumel } = t.storage;
    const size = DTYPE_SIZES[dtype];
    const numel = numelOf(t.shape);
    if (t.stride.length !== t.shape.length)
      throw new CheckpointError(
        `torch-pt: ${file}: stride ${JSON.stringify(t.stride)} does not match shape ${JSON.stringify(t.shape)}`,
      );
    let expect = 1;
    for (let i = t.shape.length - 1; i >= 0; i--) {
      if (t.shape[i] !== 1 && t.stride[i] !== expect && numel > 0) {
        throw new CheckpointError(
          `torch-pt: ${file}: tensor with shape ${JSON.stringify(t.shape)} and stride ${JSON.stringify(t.stride)} is not contiguous (call .contiguous() before saving)`,
        );
      }
      expect *= t.shape[i];
    }
    if (t.offset + numel > storageNumel)
      throw new CheckpointError(
        `torch-pt: ${file}: tensor needs elements ${t.offset}..${t.offset + numel} of a ${storageNumel}-element storage`,
      );
    const entry = `${prefix}data/${key}`;
    if (!zip.entries.has(entry)) throw new CheckpointError(`torch-pt: ${file}: storage entry ${entry} is missing`);
    const storage = zip.read(entry);
    if (storage.byteLength < storageNumel * size)
      throw new CheckpointError(
        `torch-pt: ${file}: storage ${entry} holds ${storage.byteLength} bytes, needs ${storageNumel * size} (truncated)`,
      );
    const bytes = storage.slice(t.offset * size, (t.offset + numel) * size);
    return { name: prefix.replace(/\/$/, ""), dtype, shape: t.shape, bytes };
  } finally {
    zip.close();
  }
}

export function readTorchFloat32(file: string): Float32Tensor {
  const t = readTorchTensor(file);
  return { shape: t.shape, data: bytesToFloat32(t.dtype, t.bytes, `tensor in ${file}`) };
}

export interface TorchTensorToWrite {
  dtype: Dtype;
  shape: number[];
  data: ArrayBufferView;
}

/** Writes `tensor` as torch.save(tensor) would (contiguous, protocol-2 pickle, 64-byte aligned stored entries). */
export function writeTorchTensor(file: string, tensor: TorchTensorToWrite, opts: { archiveName?: string } = {}): void {
  const archive = opts.archiveName ?? path.basename(file).replace(/\.[^.]*$/, "");
  const numel = numelOf(tensor.shape);
  const data = new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
  if (data.byteLength !== numel * DTYPE_SIZES[tensor.dtype]) {
    throw new CheckpointError(
      `torch-pt: writing ${file}: ${data.byteLength} bytes do not match shape ${JSON.stringify(tensor.shape)} x ${tensor.dtype}`,
    );
  }
  const stride = tensor.shape.map((_, i) => numelOf(tensor.shape.slice(i + 1)));
  const pkl = new PickleWriter()
    .proto(2)
    .global("torch._utils", "_rebuild_tensor_v2")
    .mark()
    .mark()
    .str("storage")
    .global("torch", DTYPE_STORAGES[tensor.dtype])
    .str("0")
    .str("cpu")
    .int(numel)
    .tuple()
    .binpersid()
    .int(0)
    .intTuple(tensor.shape)
    .intTuple(stride)
    .bool(false)
    .global("collections", "OrderedDict")
    .emptyTuple()
    .reduce()
    .tuple()
    .reduce()
    .stop()
    .finish();
  const enc = new TextEncoder();
  writeZip(file, [
    { name: `${archive}/data.pkl`, data: pkl },
    { name: `${archive}/byteorder`, data: enc.encode("little") },
    { name: `${archive}/data/0`, data },
    { name: `${archive}/version`, data: enc.encode("3\n") },
  ]);
}
