// The ONNX Runtime side of bench/compare_ort.sh: runs one model in onnxruntime-node the way
// `edgeserve bench` runs it (same threads, shapes, warmup and run count, seeded random inputs)
// and prints one JSON object with the same keys as `edgeserve bench --json`, plus
// baseline_rss_bytes: Node's own RSS before onnxruntime is loaded.
//
// usage: node ort_bench.mjs --ort-dir DIR [--threads T] [--batch N] [--iterations K] [--warmup W]
//                           [--shape NAME=DIMS ...] MODEL
//   DIR is the onnxruntime-node package directory (compare_ort.sh installs it).

import { createRequire } from 'node:module';
import os from 'node:os';

// Taken before onnxruntime's native library is loaded, so that the reader can tell Node's own
// share of the peak from the runtime's.
const baselineRssBytes = process.memoryUsage().rss;

const kSeed = 1;

function usage(message) {
  process.stderr.write(`ort_bench: ${message}\n`);
  process.exit(2);
}

function parseIntArg(flag, text, min) {
  if (!/^\d+$/.test(text) || Number(text) < min) usage(`${flag} expects an integer >= ${min}, got '${text}'`);
  return Number(text);
}

function parseShape(text) {
  const m = /^([^=]+)=(\d+(?:x\d+)*)?$/.exec(text);
  if (!m) usage(`--shape expects NAME=DIMS (e.g. images=1x3x416x416), got '${text}'`);
  return [m[1], m[2] === undefined ? [] : m[2].split('x').map(Number)];
}

function parseArgs(argv) {
  const o = { threads: 0, batch: 1, iterations: 100, warmup: 10, shapes: new Map(), ortDir: null, model: null };
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    const value = () => (i + 1 < argv.length ? argv[++i] : usage(`${a} needs a value`));
    if (a === '--ort-dir') o.ortDir = value();
    else if (a === '--threads') o.threads = parseIntArg(a, value(), 0);
    else if (a === '--batch') o.batch = parseIntArg(a, value(), 1);
    else if (a === '--iterations') o.iterations = parseIntArg(a, value(), 1);
    else if (a === '--warmup') o.warmup = parseIntArg(a, value(), 0);
    else if (a === '--shape') o.shapes.set(...parseShape(value()));
    else if (a.startsWith('--')) usage(`unknown option '${a}'`);
    else if (o.model === null) o.model = a;
    else usage('expects exactly one MODEL');
  }
  if (o.model === null || o.ortDir === null) usage('needs --ort-dir DIR and a MODEL');
  // Same rule as `edgeserve bench --threads 0`: the cores this process may run on.
  if (o.threads === 0) o.threads = os.availableParallelism();
  return o;
}

// The rules of edgeserve's resolve_input_shapes: known dims stay, the first symbolic dim of an
// input takes the batch, --shape replaces the whole shape, any other symbolic dim is an error.
function resolveShapes(metadata, o) {
  for (const name of o.shapes.keys()) {
    if (!metadata.some((m) => m.name === name)) usage(`--shape: the model has no input '${name}'`);
  }
  let usedBatch = false;
  const shapes = metadata.map((m) => {
    if (o.shapes.has(m.name)) return { name: m.name, dtype: m.type, dims: o.shapes.get(m.name) };
    if (!Array.isArray(m.shape)) usage(`input '${m.name}' has no declared rank: give its shape with --shape`);
    let batchTaken = false;
    const dims = m.shape.map((d, axis) => {
      if (typeof d === 'number' && d >= 0) return d;
      if (batchTaken) usage(`input '${m.name}' dim ${axis} ('${d}') is symbolic and is not the batch dim`);
      batchTaken = usedBatch = true;
      return o.batch;
    });
    return { name: m.name, dtype: m.type, dims };
  });
  if (o.batch !== 1 && !usedBatch) usage(`--batch ${o.batch}: no input has a symbolic dim left to take it`);
  return shapes;
}

// mulberry32: a small seeded generator; the values need not match edgeserve's, only the
// distributions (floats uniform in [-1, 1], integers in [0, 9], bools 0/1).
function makeRng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const kArrays = {
  float32: Float32Array, float64: Float64Array, int8: Int8Array, uint8: Uint8Array, int16: Int16Array,
  uint16: Uint16Array, int32: Int32Array, uint32: Uint32Array, int64: BigInt64Array, uint64: BigUint64Array,
  bool: Uint8Array,
};

function randomTensor(ort, shape, rng) {
  const Array = kArrays[shape.dtype];
  if (!Array) usage(`input '${shape.name}' is ${shape.dtype}: ort_bench makes no random ${shape.dtype} inputs`);
  const n = shape.dims.reduce((p, d) => p * d, 1);
  const data = new Array(n);
  for (let i = 0; i < n; ++i) {
    const u = rng();
    if (shape.dtype.startsWith('float')) data[i] = 2 * u - 1;
    else if (shape.dtype === 'bool') data[i] = u < 0.5 ? 0 : 1;
    else if (shape.dtype.endsWith('64')) data[i] = BigInt(Math.floor(u * 10));
    else data[i] = Math.floor(u * 10);
  }
  return new ort.Tensor(shape.dtype, data, shape.dims);
}

// Linear interpolation between closest ranks, as edgeserve's percentile().
function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

function latencyStats(ms) {
  const s = [...ms].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return { p50: percentile(s, 50), p90: percentile(s, 90), p99: percentile(s, 99), mean, min: s[0], max: s.at(-1) };
}

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

async function timedRuns(session, feeds, count) {
  const ms = [];
  for (let i = 0; i < count; ++i) {
    const start = nowMs();
    await session.run(feeds);
    ms.push(nowMs() - start);
  }
  return ms;
}

async function bench(o) {
  const ort = createRequire(import.meta.url)(o.ortDir);
  const loadStart = nowMs();
  const session = await ort.InferenceSession.create(o.model, {
    intraOpNumThreads: o.threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
  });
  const sessionLoadMs = nowMs() - loadStart;
  const shapes = resolveShapes(session.inputMetadata, o);
  const rng = makeRng(kSeed);
  const feeds = Object.fromEntries(shapes.map((s) => [s.name, randomTensor(ort, s, rng)]));
  const [firstMs] = await timedRuns(session, feeds, 1);
  await timedRuns(session, feeds, o.warmup);
  const measureStart = nowMs();
  const ms = await timedRuns(session, feeds, o.iterations);
  const wallS = (nowMs() - measureStart) / 1000;
  return {
    model: o.model,
    options: { runtime: `onnxruntime-node ${ort.env.versions.node}`, provider: 'cpu', level: 'all', batch: o.batch,
      threads: o.threads, streams: 1, warmup: o.warmup, iterations: o.iterations,
      shapes: Object.fromEntries(o.shapes) },
    inputs: shapes,
    load_ms: sessionLoadMs + firstMs, session_load_ms: sessionLoadMs, first_inference_ms: firstMs,
    warmup_runs: o.warmup, iterations: ms.length, latency_ms: latencyStats(ms),
    throughput_per_s: ms.length / wallS, items_per_s: (ms.length / wallS) * o.batch,
    peak_rss_bytes: process.resourceUsage().maxRSS * 1024, baseline_rss_bytes: baselineRssBytes,
  };
}

const options = parseArgs(process.argv.slice(2));
try {
  process.stdout.write(`${JSON.stringify(await bench(options))}\n`);
} catch (e) {
  process.stderr.write(`ort_bench: ${options.model}: ${String(e?.message ?? e).split('\n')[0]}\n`);
  process.exit(1);
}
