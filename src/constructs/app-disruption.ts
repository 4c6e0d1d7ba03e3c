/**
 * PodDisruptionBudgets from the `pod-min-available` / `pod-max-unavailable` properties: one
 * per process type, selecting exactly that Deployment's pods. The older scheduler-kubernetes
 * plugin meant to render one budget over all of an app's pods, but injected the values into a
 * Deployment instead; a budget per Deployment is what voluntary disruptions need.
 */
import { Construct } from 'constructs';
import type { AppModel, ProcessModel } from '../dokku/app-model.js';
import { k8s } from './_k8s.js';
import { MANAGED, MANAGED_BY, selectorLabels } from './_metadata.js';

/** Props of {@link ProcessDisruptionBudget}. */
export interface ProcessDisruptionBudgetProps {
  readonly model: AppModel;
  readonly process: ProcessModel;
}

function intOrString(value: number | string): k8s.IntOrString {
  return typeof value === 'number' ? k8s.IntOrString.fromNumber(value) : k8s.IntOrString.fromString(value);
}

/**
 * The `policy/v1` PodDisruptionBudget `<app>-<proc>`, when the app (or the global level) sets
 * one of the two properties; its selector is the Deployment's own selector. Construct id of
 * the budget: `Resource`.
 */
export class ProcessDisruptionBudget extends Construct {
  /** The budget, when one is set. */
  public readonly budget?: k8s.KubePodDisruptionBudget;

  constructor(scope: Construct, id: string, props: ProcessDisruptionBudgetProps) {
    super(scope, id);
    const { model, process } = props;
    const budget = model.scaling.processes.get(process.type)?.disruptionBudget;
    if (!budget) return;
    const selector = selectorLabels(model.name, process.name, process.type);
    this.budget = new k8s.KubePodDisruptionBudget(this, 'Resource', {
      metadata: {
        name: process.name,
        namespace: model.namespace,
        labels: { ...selector, ...MANAGED_BY },
        annotations: { ...MANAGED },
      },
      spec: {
        selector: { matchLabels: selector },
        ...(budget.minAvailable !== undefined ? { minAvailable: intOrString(budget.minAvailable) } : {}),
        ...(budget.maxUnavailable !== undefined ? { maxUnavailable: intOrString(budget.maxUnavailable) } : {}),
      },
    });
  }
}
