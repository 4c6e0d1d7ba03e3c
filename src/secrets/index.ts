export * from './keys.js';
export * from './seal.js';
export * from './sealed.js';
export * from './sops.js';
