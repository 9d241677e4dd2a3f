export {
  loadJointModel,
  loadModel,
  readModelFile,
  verifyChecksum,
  type JointRunner,
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
export { mergeOnnxModels, mergedOutputName, type OnnxPart } from './onnx-merge.js';
