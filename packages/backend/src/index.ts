export * from './replay.js';
export * from './listener.js';
export * from './summary.js';
