import type { RuleCase } from '../helpers/ruleCases';

export const CASES: readonly RuleCase[] = [];
