export * from './collect.js';
export * from './runner.js';
