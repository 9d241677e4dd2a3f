export * from './replay.js';
export * from './outcomes.js';
export * from './listener.js';
export * from './summary.js';
