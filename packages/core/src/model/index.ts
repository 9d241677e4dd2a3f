export { loadModel, readModelFile, verifyChecksum, type LoadModelOptions, type ModelRunner } from './runner.js';
export { parseModelCard, type FamilyReport, type ModelCard, type SplitMetrics } from './card.js';
