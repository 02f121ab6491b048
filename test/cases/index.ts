/** Every table of load-verdict cases, for the unit and kernel suites. */
import type { RuleCase } from '../helpers/ruleCases';
import { BASE_CASES } from './base';
import { TCPUDP_CASES } from './tcpudp';

export const ALL_CASES: ReadonlyArray<{ readonly group: string; readonly cases: readonly RuleCase[] }> = [
  { group: 'base', cases: BASE_CASES },
  { group: 'tcp/udp/comment', cases: TCPUDP_CASES },
];
