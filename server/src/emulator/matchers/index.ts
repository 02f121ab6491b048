/** Emulator matchers, one file each (the data types come from the parser's extensions). */
import type { MatcherEntry } from '../registry';
import { addrtype } from './addrtype';
import { comment } from './comment';
import { conntrack, state } from './conntrack';
import { tcp } from './tcp';
import { udp } from './udp';

export const MATCHER_LIST: readonly MatcherEntry[] = [tcp, udp, comment, addrtype, conntrack, state];
