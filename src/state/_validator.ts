/**
 * The compiled JSON-Schema check of state documents. Tests and library use compile the schema
 * with ajv at first use; the CLI bundle replaces this module with the same validator
 * precompiled by ajv's standalone code generator at build time (scripts/build.mjs), so that
 * the CLI does not pay ajv's compile on every start.
 */
import { Ajv, type ErrorObject } from 'ajv';
import { STATE_AJV_OPTIONS, STATE_SCHEMA } from './schema.js';

/** A compiled validator, as ajv returns it. */
export type StateValidator = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

let compiled: StateValidator | undefined;

/** The state validator, compiled on first use. */
export function stateValidator(): StateValidator {
  compiled ??= new Ajv(STATE_AJV_OPTIONS).compile(STATE_SCHEMA) as StateValidator;
  return compiled;
}
