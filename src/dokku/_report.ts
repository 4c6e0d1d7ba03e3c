import type { FieldPath } from '../state/_problems.js';

/** Reports a problem at a field of the document being resolved. */
export type ReportProblem = (path: FieldPath, message: string) => void;
