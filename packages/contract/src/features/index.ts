export { buildFeatures, featureCount } from './build.js';
export {
  BASE_FEATURE_NAMES,
  CATEGORICAL_FIELDS,
  FEATURE_SPEC_VERSION,
  expectedFeatureNames,
  loadFeatureSpec,
  parseFeatureSpec,
  type CategoricalField,
  type FeatureSpec,
} from './spec.js';
export { utcOffsetMs, wallClockMs, zonedTimeToEpochMs } from './clock.js';
