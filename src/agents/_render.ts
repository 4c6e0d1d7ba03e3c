/**
 * Synthesizes agent manifests in memory: each file is a cdk8s Chart, all charts of a call
 * live in one small App, and each chart is rendered with `chart.toJson()` (never the App's
 * file output) into the repository's YAML style.
 */
import { App, Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { renderYamlFile, type FileTree, type KubeObject } from '../gitops/tree.js';

/** The file path of each ManifestFile (Chart overrides instanceof, so it cannot tell them apart). */
const FILE_PATHS = new WeakMap<Chart, string>();

/** A chart that becomes one repository file. */
export class ManifestFile extends Chart {
  /** Repo-relative path of the file. */
  public readonly path: string;

  constructor(scope: Construct, id: string, path: string) {
    super(scope, id, { disableResourceNameHashes: true });
    this.path = path;
    FILE_PATHS.set(this, path);
  }
}

/** A new App to build the charts of one call in; it is synthesized in memory only. */
export function newApp(): App {
  // outdir is never written: files are rendered from chart.toJson()
  return new App({ outdir: '/nonexistent/dokku-gitops-agent-manifests' });
}

/** Renders every {@link ManifestFile} of an app into a file tree. */
export function renderFiles(app: App): FileTree {
  const tree: FileTree = {};
  for (const chart of app.charts) {
    const path = FILE_PATHS.get(chart);
    if (path !== undefined) tree[path] = renderYamlFile(chart.toJson() as KubeObject[]);
  }
  return sortTree(tree);
}

/** The same tree with its paths in sorted order, so that output and snapshots are stable. */
export function sortTree(tree: FileTree): FileTree {
  const sorted: FileTree = {};
  for (const path of Object.keys(tree).sort()) sorted[path] = tree[path]!;
  return sorted;
}
