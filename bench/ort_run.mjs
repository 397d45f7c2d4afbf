// Runs one model in ONNX Runtime (onnxruntime-node, CPU, all graph optimisations) on .npy inputs
// and writes DIR/output_<i>.npy in graph-output order: the peer's answer for accuracy checks, the
// way `edgeserve run` gives ours.
//
// usage: node ort_run.mjs --ort-dir DIR [--threads T] [--no-optimize] --output-dir OUT MODEL INPUT.npy...
//   inputs follow the model's input order; DIR is the onnxruntime-node package directory
//   (bench/compare_ort.sh installs it into ~/.cache/edgeserve/ort-node).

import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

function usage(message) {
  process.stderr.write(`ort_run: ${message}\n`);
  process.exit(2);
}

const kNpyTypes = {
  '<f4': ['float32', Float32Array], '|u1': ['uint8', Uint8Array], '|i1': ['int8', Int8Array],
  '<i4': ['int32', Int32Array], '<i8': ['int64', BigInt64Array], '<f8': ['float64', Float64Array],
};

function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (buf.toString('latin1', 1, 6) !== 'NUMPY') usage(`${file}: not a .npy file`);
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12) + headerLen;
  const header = buf.toString('latin1', major === 1 ? 10 : 12, start);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  if (/'fortran_order':\s*True/.test(header)) usage(`${file}: Fortran order is not supported`);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? '';
  const dims = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  if (!(descr in kNpyTypes)) usage(`${file}: unsupported dtype ${descr}`);
  const [type, Ctor] = kNpyTypes[descr];
  const bytes = buf.subarray(start);
  const data = new Ctor(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  return { type, dims, data };
}

function writeNpy(file, tensor) {
  const entry = Object.entries(kNpyTypes).find(([, [t]]) => t === tensor.type);
  if (!entry) usage(`output type ${tensor.type} cannot be written as .npy`);
  const shape = tensor.dims.length === 1 ? `(${tensor.dims[0]},)` : `(${tensor.dims.join(', ')})`;
  let header = `{'descr': '${entry[0]}', 'fortran_order': False, 'shape': ${shape}, }`;
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  const data = Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
  fs.writeFileSync(file, Buffer.concat([pre, Buffer.from(header, 'latin1'), data]));
}

const o = { ortDir: null, threads: 1, optimize: true, outDir: null, model: null, inputs: [] };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; ++i) {
  const a = argv[i];
  const value = () => (i + 1 < argv.length ? argv[++i] : usage(`${a} needs a value`));
  if (a === '--ort-dir') o.ortDir = value();
  else if (a === '--threads') o.threads = Number(value());
  else if (a === '--no-optimize') o.optimize = false;
  else if (a === '--output-dir') o.outDir = value();
  else if (a.startsWith('--')) usage(`unknown option '${a}'`);
  else if (o.model === null) o.model = a;
  else o.inputs.push(a);
}
if (!o.ortDir || !o.outDir || !o.model) usage('needs --ort-dir DIR --output-dir OUT MODEL INPUT.npy...');

const ort = createRequire(import.meta.url)(path.resolve(o.ortDir));
const session = await ort.InferenceSession.create(o.model, {
  intraOpNumThreads: o.threads, interOpNumThreads: 1, graphOptimizationLevel: o.optimize ? 'all' : 'disabled',
});
if (o.inputs.length !== session.inputNames.length) {
  usage(`the model has ${session.inputNames.length} inputs, ${o.inputs.length} files given`);
}
const feeds = {};
session.inputNames.forEach((name, i) => {
  const t = readNpy(o.inputs[i]);
  feeds[name] = new ort.Tensor(t.type, t.data, t.dims);
});
const results = await session.run(feeds);
fs.mkdirSync(o.outDir, { recursive: true });
session.outputNames.forEach((name, i) => writeNpy(path.join(o.outDir, `output_${i}.npy`), results[name]));
