// The INT8 table of bench/int8_compare.sh from compare_ort.sh's JSON lines: per model pair
// (FP32 file at index 2k, its INT8 file at 2k+1), median p50 latencies of ONNX Runtime and
// edgeserve on both files, and how many times faster edgeserve's INT8 is than each of them.
//
// usage: node int8_table.mjs RESULTS_DIR

import fs from 'node:fs';
import path from 'node:path';

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function p50(file) {
  const rounds = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
  return { ms: median(rounds.map((r) => r.latency_ms.p50)), model: rounds[0].model, rounds: rounds.length };
}

const dir = process.argv[2];
if (!dir) {
  process.stderr.write('usage: node int8_table.mjs RESULTS_DIR\n');
  process.exit(2);
}
const columns = [
  ['model', 22], ['ORT FP32', 9], ['ORT INT8', 9], ['edge FP32', 9], ['edge INT8', 9], ['vs ORT FP32', 11],
  ['vs ORT INT8', 11], ['vs edge FP32', 12], ['FP32 MB', 8], ['INT8 MB', 8], ['smaller', 7],
];
const line = (cells) => cells.map((c, i) => (i === 0 ? String(c).padEnd(columns[i][1]) : String(c).padStart(columns[i][1])))
  .join('  ');
console.log('p50 ms, batch and threads as given; "vs X" = X p50 / edgeserve INT8 p50 (> 1: edgeserve INT8 is faster)');
console.log(line(columns.map((c) => c[0])));
for (let k = 0; fs.existsSync(path.join(dir, `${2 * k + 1}.edgeserve.jsonl`)); ++k) {
  const of = (i, side) => p50(path.join(dir, `${i}.${side}.jsonl`));
  const [ortF, ortQ, edgeF, edgeQ] = [of(2 * k, 'ort'), of(2 * k + 1, 'ort'), of(2 * k, 'edgeserve'), of(2 * k + 1, 'edgeserve')];
  const mb = (m) => fs.statSync(m).size / 1e6;
  const name = path.basename(path.dirname(edgeF.model)) === 'torchvision' || path.basename(edgeF.model) !== 'model.onnx'
    ? path.basename(edgeF.model, '.onnx') : path.basename(path.dirname(edgeF.model));
  const f = (v, d = 2) => v.toFixed(d);
  console.log(line([
    name, f(ortF.ms), f(ortQ.ms), f(edgeF.ms), f(edgeQ.ms), f(ortF.ms / edgeQ.ms), f(ortQ.ms / edgeQ.ms),
    f(edgeF.ms / edgeQ.ms), f(mb(edgeF.model), 1), f(mb(edgeQ.model), 1), f(mb(edgeF.model) / mb(edgeQ.model)),
  ]));
}
