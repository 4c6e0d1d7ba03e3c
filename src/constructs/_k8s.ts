/**
 * The typed Kubernetes API (L1 classes such as `KubeDeployment`) that ships inside
 * cdk8s-plus-28, imported without its L2 constructs: those inject defaults (2 replicas,
 * 1 CPU / 512Mi requests, runAsNonRoot, readOnlyRootFilesystem, a TCP startup probe, hashed
 * selector labels) that break Dokku apps, and loading them costs start-up time.
 */
export * as k8s from 'cdk8s-plus-28/lib/imports/k8s.js';
