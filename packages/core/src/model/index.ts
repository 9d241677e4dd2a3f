export {
  loadModel,
  readModelFile,
  verifyChecksum,
  type LoadModelOptions,
  type ModelOutputs,
  type ModelRunner,
} from './runner.js';
export {
  parseModelCard,
  type CostCandidate,
  type FamilyReport,
  type InferenceCost,
  type ModelCard,
  type SplitMetrics,
} from './card.js';
