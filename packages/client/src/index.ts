export * from './client.js';
export * from './env.js';
export * from './publisher.js';
export * from './decisions.js';
export * from './quote.js';
