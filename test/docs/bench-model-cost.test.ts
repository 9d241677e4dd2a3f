import { describe, expect, it } from 'vitest';
import type { BenchResults } from '../../bench/lib/report.js';
import type { ModelCost } from '../../bench/sections/inference.js';
import { candidateLabel, modelCostNamedFigures, modelCostTableLines } from '../../bench/sections/model-cost-report.js';
import { modelCostDetail, modelCostRows } from '../../scripts/docs/bench-model-cost.js';

function cost(model: ModelCost['model'], usPerRide: number, served: string, decisions: number): ModelCost {
  return {
    model,
    batch: 256,
    threads: 1,
    reps: 5,
    usPerRide,
    usPerRideMin: usPerRide - 0.5,
    usPerRideMax: usPerRide + 1,
    testMae: 1.5,
    served,
    reference: 'n400_l31',
    trees: 100,
    nodes: 6100,
    decisionsPerRide: decisions,
    referenceDecisionsPerRide: 4000,
    referenceTestMae: 1.49,
  };
}

const models = [
  cost('duration', 2.5, 'n100_l31', 1000),
  cost('cost', 9.75, 'n400_l31', 4000),
  cost('tip', 1, 'n050_l15', 240),
];
const results = { inference: { points: [], serde: {}, models } } as unknown as BenchResults;

describe("bench figures of each served model's cost per ride", () => {
  it('name the candidates as trees and leaves', () => {
    expect(candidateLabel('n050_l15')).toBe('50 trees ≤ 15 leaves');
    expect(candidateLabel('ridge')).toBe('ridge');
    expect(candidateLabel(undefined)).toBe('-');
  });

  it('give µs per ride and the share of the reference decision nodes in the README row', () => {
    const [row] = modelCostRows(results);
    expect(row[0]).toBe('served model per ride, 1 thread, batch 256: duration / cost / tip');
    expect(row[1]).toBe(
      "2.50 / 9.75 / 1.00 µs; decision nodes per ride 0.25 / 1.00 / 0.06 × the reference's (400 trees ≤ 31 leaves)",
    );
  });

  it('list every model with its served ensemble and the reference in bench/README.md', () => {
    const text = modelCostDetail(results).join('\n');
    expect(text).toContain('median of 5 repetitions');
    expect(text).toContain(
      '| duration | 100 trees ≤ 31 leaves | 2.50 | 2.00–3.50 | 1,000 | 4,000 (400 trees ≤ 31 leaves) | 1.5000 (1.4900) |',
    );
  });

  it('name the figures per model and print them', () => {
    const f = modelCostNamedFigures(models);
    expect(f.inference_tip_us_per_ride_b256).toBe(1);
    expect(f.model_duration_decisions_per_ride).toBe(1000);
    expect(modelCostTableLines(models)).toHaveLength(4);
  });

  it('render nothing for a run that did not measure them', () => {
    expect(modelCostRows({} as BenchResults)).toEqual([]);
    expect(modelCostDetail({} as BenchResults)).toEqual([]);
    expect(modelCostTableLines([])).toEqual([]);
  });
});
