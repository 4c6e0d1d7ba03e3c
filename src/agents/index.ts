export * from './argocd.js';
export * from './flux.js';
export * from './manifests.js';
export * from './write.js';
