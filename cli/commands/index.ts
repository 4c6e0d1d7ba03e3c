/** Every top-level command of the CLI, in the order `--help` lists them. */
import type { Command } from 'commander';
import { schemaCommand } from './schema.js';
import { synthCommand } from './synth.js';
import { validateCommand } from './validate.js';
import { keysCommand } from './keys.js';
import { deployCommand } from './deploy.js';
import { diffCommand } from './diff.js';
import { destroyCommand } from './destroy.js';
import { pushCommand } from './push.js';
import { agentCommand } from './agent.js';
import { clusterCommand } from './cluster.js';
import { collectCommand } from './collect.js';

export const commands: Array<() => Command> = [synthCommand, validateCommand, schemaCommand, keysCommand, deployCommand, diffCommand, destroyCommand, pushCommand, agentCommand, collectCommand, clusterCommand];
