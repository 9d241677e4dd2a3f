export * from './env.js';
export * from './ride-model.js';
export * from './model-service.js';
export * from './process.js';
