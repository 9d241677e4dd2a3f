export * from './launch.js';
export * from './process.js';
export * from './services.js';
export * from './breakdown.js';
export * from './monitor.js';
