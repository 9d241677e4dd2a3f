export { loadModel, type LoadModelOptions, type ModelRunner } from './runner.js';
export { parseModelCard, type FamilyReport, type ModelCard, type SplitMetrics } from './card.js';
export { MODEL_NAMES, defaultModelDir, defaultModelsDir, type ModelName } from './paths.js';
