/** Every table of load-verdict cases, for the unit and kernel suites. */
import type { RuleCase } from '../helpers/ruleCases';
import { BASE_CASES } from './base';
import { CASES as CATALOG } from './catalog';
import { CASES as DIFFERENTIAL } from './differential';
import { CASES as MATCHES_A } from './matchesA';
import { CASES as MATCHES_B } from './matchesB';
import { CASES as TARGETS } from './targets';
import { TCPUDP_CASES } from './tcpudp';

export const ALL_CASES: ReadonlyArray<{ readonly group: string; readonly cases: readonly RuleCase[] }> = [
  { group: 'base', cases: BASE_CASES },
  { group: 'tcp/udp/comment', cases: TCPUDP_CASES },
  { group: 'matches A', cases: MATCHES_A },
  { group: 'matches B', cases: MATCHES_B },
  { group: 'targets', cases: TARGETS },
  { group: 'catalog', cases: CATALOG },
  { group: 'differential', cases: DIFFERENTIAL },
];
