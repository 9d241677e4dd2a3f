export * from './errors.js';
export * from './paths.js';
export * from './records.js';
export * from './schemas.js';
export * from './validate.js';
export * from './rides-csv.js';
export * from './features/index.js';
