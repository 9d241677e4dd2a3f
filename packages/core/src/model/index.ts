export { readModelFile, verifyChecksum } from './model-files.js';
export { type LoadModelOptions, type ModelOutputs } from './onnx-session.js';
export { loadModel, type ModelRunner } from './runner.js';
export { loadJointModel, type JointRunner } from './joint-runner.js';
export {
  parseModelCard,
  type CostCandidate,
  type FamilyReport,
  type InferenceCost,
  type ModelCard,
  type SplitMetrics,
} from './card.js';
export { mergeOnnxModels, mergedOutputName, type OnnxPart } from './onnx-merge.js';
