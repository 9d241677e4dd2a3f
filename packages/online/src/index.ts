export * from './env.js';
export * from './models.js';
export * from './batcher.js';
export * from './admission.js';
export * from './scoring.js';
export * from './metrics.js';
export * from './service.js';
export * from './process.js';
