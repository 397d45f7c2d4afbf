// Prints bench/compare_ort.sh's table from the JSON lines its rounds wrote: for each model the
// median over rounds of ORT's and edgeserve's figures, and their ratios (edgeserve / ORT).
//
// usage: node compare_table.mjs RESULTS_DIR
//   RESULTS_DIR holds <index>.ort.jsonl and <index>.edgeserve.jsonl per model, one line a round.

import fs from 'node:fs';
import path from 'node:path';

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function readRounds(file) {
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
}

// Medians of the figures the table shows.
function summarize(rounds) {
  const pick = (f) => median(rounds.map(f));
  return {
    p50: pick((r) => r.latency_ms.p50), tput: pick((r) => r.throughput_per_s), load: pick((r) => r.load_ms),
    rss: pick((r) => r.peak_rss_bytes) / 2 ** 20,
    base: rounds[0].baseline_rss_bytes === undefined ? null : pick((r) => r.baseline_rss_bytes) / 2 ** 20,
    rounds: rounds.length,
  };
}

function modelName(file) {
  const parts = file.split('/');
  const stem = parts.at(-1).replace(/\.onnx$/, '');
  return stem === 'model' && parts.length > 1 ? parts.at(-2) : stem;  // fixtures are <name>/model.onnx
}

const kColumns = [
  ['model', 18], ['batch', 5], ['thr', 3], ['ORT p50 ms', 10], ['edge p50 ms', 11], ['ratio', 6],
  ['ORT inf/s', 9], ['edge inf/s', 10], ['ORT load ms', 11], ['edge load ms', 12],
  ['ORT RSS MiB (node)', 18], ['edge RSS MiB', 12], ['RSS ratio', 9],
];

function row(cells) {
  return cells.map((c, i) => (i === 0 ? String(c).padEnd(kColumns[i][1]) : String(c).padStart(kColumns[i][1])))
    .join('  ');
}

function tableRow(ortRounds, edgeRounds) {
  const a = summarize(ortRounds);
  const b = summarize(edgeRounds);
  const o = edgeRounds[0].options;
  const f = (v, d = 2) => v.toFixed(d);
  return row([
    modelName(edgeRounds[0].model), o.batch, o.threads, f(a.p50), f(b.p50), f(b.p50 / a.p50),
    f(a.tput, 1), f(b.tput, 1), f(a.load, 0), f(b.load, 0),
    `${f(a.rss, 1)} (${a.base === null ? '?' : f(a.base, 1)})`, f(b.rss, 1), f(b.rss / a.rss),
  ]);
}

const dir = process.argv[2];
if (!dir) {
  process.stderr.write('usage: node compare_table.mjs RESULTS_DIR\n');
  process.exit(2);
}
const indices = fs.readdirSync(dir).filter((f) => f.endsWith('.ort.jsonl')).map((f) => parseInt(f, 10))
  .sort((x, y) => x - y);
const lines = [row(kColumns.map(([name]) => name))];
for (const i of indices) {
  const edgeFile = path.join(dir, `${i}.edgeserve.jsonl`);
  if (!fs.existsSync(edgeFile)) continue;
  lines.push(tableRow(readRounds(path.join(dir, `${i}.ort.jsonl`)), readRounds(edgeFile)));
}
process.stdout.write(`${lines.join('\n')}\n`);
