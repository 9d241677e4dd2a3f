/**
 * Each served model's cost per ride, from the bench's `inference` stage (`inference.models`
 * in bench/results/latest.json): onnxruntime-node microseconds per ride beside what the
 * model card says about the served ensemble (models/train/inference_cost.py) — the README's
 * row and a table of bench/README.md. Nothing for a run without these figures.
 */
import type { BenchResults } from '../../bench/lib/report.js';
import { candidateLabel } from '../../bench/sections/model-cost-report.js';
import { num } from './bench.js';
import { table } from './sections.js';

/** The README's row: µs per ride of the three served models. */
export function modelCostRows(r: BenchResults): string[][] {
  const models = r.inference?.models ?? [];
  if (models.length === 0) return [];
  const { batch, threads } = models[0];
  const share = (d: number | undefined, ref: number | undefined): string =>
    d !== undefined && ref ? num(d / ref, 2) : '–';
  const references = [...new Set(models.map((m) => m.reference))];
  const reference = references.length === 1 ? ` (${candidateLabel(references[0])})` : '';
  return [
    [
      `served model per ride, ${threads} thread, batch ${num(batch)}: ${models.map((m) => m.model).join(' / ')}`,
      `${models.map((m) => num(m.usPerRide, 2)).join(' / ')} µs; decision nodes per ride ${models
        .map((m) => share(m.decisionsPerRide, m.referenceDecisionsPerRide))
        .join(' / ')} × the reference's${reference}`,
      '',
    ],
  ];
}

/** bench/README.md's table, under the inference stage. */
export function modelCostDetail(r: BenchResults): string[] {
  const models = r.inference?.models ?? [];
  if (models.length === 0) return [];
  const { batch, threads, reps } = models[0];
  const rows = models.map((m) => [
    m.model,
    candidateLabel(m.served),
    num(m.usPerRide, 2),
    `${num(m.usPerRideMin, 2)}–${num(m.usPerRideMax, 2)}`,
    num(m.decisionsPerRide),
    `${num(m.referenceDecisionsPerRide)} (${candidateLabel(m.reference)})`,
    `${num(m.testMae, 4)} (${num(m.referenceTestMae, 4)})`,
  ]);
  const header = [
    'model',
    'served ensemble',
    'µs per ride',
    'fastest–slowest',
    'decision nodes per ride',
    "the reference's",
    "test MAE (the reference's)",
  ];
  return [
    `Each served model per ride (${threads} thread, batch ${num(batch)}, median of ${reps} repetitions taken in turn with the other models), beside its card: the tree walk's decision nodes per ride of the served ensemble and of the reference it was chosen against (models/train/inference_cost.py), and both test MAEs:`,
    '',
    ...table(header, rows, 'llrrrrr'),
    '',
  ];
}
