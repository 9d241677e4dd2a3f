export * from './env.js';
export * from './join-table.js';
export * from './rules.js';
export * from './service.js';
export * from './types.js';
export * from './process.js';
