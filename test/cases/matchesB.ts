/**
 * Load verdicts for the group B matches: set, limit, hashlimit, recent,
 * owner, statistic, length, ttl/hl, pkttype, string, u32. Every case not
 * marked envDependent was checked against the real iptables-restore (nft and
 * legacy) on Linux 6.18.
 */
import type { RuleCase } from '../helpers/ruleCases';

const SET: RuleCase[] = [
  // The ipset must exist when the rules are loaded: the oracle's fresh namespace has none,
  // so the real load fails with "Set foo doesn't exist."; we warn (ipset-must-exist) instead.
  { rules: '-A INPUT -m set --match-set foo src -j DROP', expect: 'ok', envDependent: true },
  { rules: '-A INPUT -m set ! --match-set foo src,dst,src -j DROP', expect: 'ok', envDependent: true },
  { rules: '-A INPUT -m set --match-set foo dst --return-nomatch ! --update-counters ! --update-subcounters --packets-gt 5 ! --bytes-eq 100 -j DROP', expect: 'ok', envDependent: true },
  { rules: '-A INPUT -m set --set foo src -j DROP', expect: 'ok', envDependent: true },
  { rules: '-A INPUT -m set --match-set foo srcport,dstip -j DROP', expect: 'ok', envDependent: true }, // strncmp: only the first 3 letters count
  // Errors found before the set is looked up, and errors in any case.
  { rules: '-A INPUT -m set --match-set foo -j DROP', expect: 'error', code: 'bad-value' },
  { rules: '-A INPUT -m set --match-set foo ! src -j DROP', expect: 'error' },
  { rules: '-A INPUT -m set --match-set', expect: 'error', code: 'missing-argument' },
  { rules: '-A INPUT -m set --match-set aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa src -j DROP', expect: 'error', code: 'bad-value' },
  { rules: '-A INPUT -m set -j DROP', expect: 'error', code: 'bad-value' },
  { rules: '-A INPUT -m set --return-nomatch -j DROP', expect: 'error' },
  { rules: '-A INPUT -m set ! --return-nomatch -j DROP', expect: 'error' },
  { rules: '-A INPUT -m set --packets-eq x -j DROP', expect: 'error' },
  { rules: '-A INPUT -m set --packets-eq 1 --packets-lt 2 -j DROP', expect: 'error' },
  { rules: '-A INPUT -m set ! --packets-lt 2 -j DROP', expect: 'error' },
  { rules: '-A INPUT -m set --bytes-gt 18446744073709551616 -j DROP', expect: 'error' },
  { rules: '-A INPUT -m set --match-set foo src,bogus -j DROP', expect: 'error' },
  { rules: '-A INPUT -m set --match-set foo src,dst,src,dst,src,dst,src -j DROP', expect: 'error' },
  { rules: '-A INPUT -m set --match-set foo src --match-set bar dst -j DROP', expect: 'error' },
];

const LIMIT: RuleCase[] = [
  { rules: '-A INPUT -m limit -j ACCEPT', expect: 'ok' },
  { rules: '-A INPUT -m limit --limit 1/sec -j ACCEPT', expect: 'ok' },
  { rules: '-A INPUT -m limit --limit 5/M --limit-burst 10 -j ACCEPT', expect: 'ok' },
  { rules: '-A INPUT -m limit --limit 1000/hour -j ACCEPT', expect: 'ok' },
  { rules: '-A INPUT -m limit --limit 2/DAY -j ACCEPT', expect: 'ok' },
  { rules: '-A INPUT -m limit --limit 10000/s -j ACCEPT', expect: 'ok' },
  { rules: '-A INPUT -m limit --limit 5x -j ACCEPT', expect: 'ok' }, // atoi() ignores the rest: 5/second
  { rules: '-A INPUT -m limit --limit 10001/s -j ACCEPT', expect: 'error', code: 'bad-value' },
  { rules: '-A INPUT -m limit --limit -5/day -j ACCEPT', expect: 'error' },
  { rules: '-A INPUT -m limit --limit 5/secondx -j ACCEPT', expect: 'error' },
  { rules: '-A INPUT -m limit --limit 5/ -j ACCEPT', expect: 'error' },
  { rules: '-A INPUT -m limit --limit 0/s -j ACCEPT', expect: 'error' },
  { rules: '-A INPUT -m limit --limit 4294967296/day -j ACCEPT', expect: 'error' },
  { rules: '-A INPUT -m limit ! --limit 5/day -j ACCEPT', expect: 'error' },
  { rules: '-A INPUT -m limit --limit-burst 10001 -j ACCEPT', expect: 'error' },
  { rules: '-A INPUT -m limit --limit 1/s --limit 2/s -j ACCEPT', expect: 'error' },
  // iptables-nft builds a native nftables limit: no xt_limit overflow check there.
  { rules: '-A INPUT -m limit --limit-burst 0 -j ACCEPT', expect: 'ok', legacy: 'error' },
  { rules: '-A INPUT -m limit --limit 1/day --limit-burst 10000 -j ACCEPT', expect: 'ok', legacy: 'error' },
  { rules: '-A INPUT -m limit --limit 1/hour --limit-burst 1000 -j ACCEPT', expect: 'ok' },
  { rules: '-A INPUT -m limit --limit 1/hour --limit-burst 2000 -j ACCEPT', expect: 'ok' },
  // Legacy refuses it at COMMIT even in a chain no packet reaches.
  { rules: '-A X -m limit --limit-burst 0 -j ACCEPT', chains: ['X'], expect: 'ok', legacy: 'error' },
  // xt_limit multiplies avg × burst in 32 bits: even the default burst overflows at 1/day.
  { rules: '-A INPUT -m limit --limit 1/day -j ACCEPT', expect: 'ok', legacy: 'error' },
  { rules: '-A INPUT -m limit --limit 1/day --limit-burst 3 -j ACCEPT', expect: 'ok' },
  { rules: '-A INPUT -m limit --limit 1/hour --limit-burst 37 -j ACCEPT', expect: 'ok' },
  { rules: '-A INPUT -m limit --limit 1/hour --limit-burst 38 -j ACCEPT', expect: 'ok', legacy: 'error' },
  { rules: '-A INPUT -m limit --limit 1/min --limit-burst 2236 -j ACCEPT', expect: 'ok' },
  { rules: '-A INPUT -m limit --limit 1/min --limit-burst 2237 -j ACCEPT', expect: 'ok', legacy: 'error' },
  { rules: '-A INPUT -m limit --limit 1/day -j ACCEPT', family: 'ipv6', expect: 'ok', legacy: 'error' },
];

const HL = '-A INPUT -m hashlimit --hashlimit-name h';
const HASHLIMIT: RuleCase[] = [
  { rules: `${HL} --hashlimit-upto 5/sec -j ACCEPT`, expect: 'ok' },
  { rules: `${HL} --hashlimit-above 100/min --hashlimit-mode srcip,dstport --hashlimit-srcmask 24 -j DROP`, expect: 'ok' },
  { rules: `${HL} --hashlimit 5/s --hashlimit-burst 20 --hashlimit-mode dstip --hashlimit-htable-size 1024 --hashlimit-htable-max 4096 --hashlimit-htable-expire 10000 --hashlimit-htable-gcinterval 500 -j ACCEPT`, expect: 'ok' },
  { rules: `${HL} ! --hashlimit-upto 5/s -j DROP`, expect: 'ok' },
  { rules: `${HL} --hashlimit-upto 512kb/s --hashlimit-burst 1m -j ACCEPT`, expect: 'ok' },
  { rules: `${HL} --hashlimit-upto 5/s --hashlimit-rate-match --hashlimit-rate-interval 10 -j ACCEPT`, expect: 'ok' },
  { rules: `${HL} --hashlimit-upto 5/s --hashlimit-burst 5k -j ACCEPT`, expect: 'ok' }, // 5120 packets
  { rules: `${HL} --hashlimit-upto 5/s --hashlimit-mode "" -j ACCEPT`, expect: 'ok' },
  { rules: `${HL} --hashlimit-upto 5/s --hashlimit-srcmask 255.255.255.0 -j ACCEPT`, expect: 'ok' },
  { rules: '-A INPUT -m hashlimit --hashlimit-upto 5/sec -j ACCEPT', expect: 'error', code: 'bad-value' },
  { rules: `${HL} -j ACCEPT`, expect: 'error', code: 'bad-value' },
  { rules: `${HL} --hashlimit-upto 5/s --hashlimit-above 3/s -j ACCEPT`, expect: 'error' },
  { rules: `${HL} --hashlimit-upto 5/fortnight -j ACCEPT`, expect: 'error' },
  { rules: `${HL} --hashlimit-upto 1000001/s -j ACCEPT`, expect: 'error' },
  { rules: `${HL} --hashlimit-upto 5/s --hashlimit-burst 0 -j ACCEPT`, expect: 'error' },
  { rules: `${HL} --hashlimit-upto 5/s --hashlimit-burst 1000001 -j ACCEPT`, expect: 'error' },
  { rules: `${HL} --hashlimit-upto 5/s --hashlimit-burst 2000k -j ACCEPT`, expect: 'error' },
  { rules: `${HL} --hashlimit-upto 1kb/s --hashlimit-burst 1 -j ACCEPT`, expect: 'error' },
  { rules: `${HL} --hashlimit-upto 5/s --hashlimit-mode srcip,foo -j ACCEPT`, expect: 'error' },
  { rules: `${HL} --hashlimit-upto 5/s --hashlimit-srcmask 33 -j ACCEPT`, expect: 'error' },
  { rules: `${HL} --hashlimit-upto 5/s --hashlimit-rate-interval 0 -j ACCEPT`, expect: 'error' },
  { rules: `${HL} --hashlimit-upto 68719476720b/s -j ACCEPT`, expect: 'error' }, // iptables dies of SIGFPE
  { rules: `${HL} --hashlimit-upto 5b/s --hashlimit-burst 100 -j ACCEPT`, expect: 'error' }, // SIGFPE too
  { rules: `${HL} --hashlimit-upto 5b/s -j ACCEPT`, expect: 'ok' },
  { rules: `${HL} --hashlimit-upto 16b/s --hashlimit-burst 100 -j ACCEPT`, expect: 'ok' },
  // Refused by the kernel's checkentry.
  { rules: `${HL} --hashlimit-upto 5/s --hashlimit-htable-expire 0 -j ACCEPT`, expect: 'error', code: 'kernel-refuses' },
  { rules: `${HL} --hashlimit-upto 5/s --hashlimit-htable-gcinterval 0 -j ACCEPT`, expect: 'error' },
  { rules: '-A INPUT -m hashlimit --hashlimit-name a/b --hashlimit-upto 5/s -j ACCEPT', expect: 'error' },
  { rules: '-A INPUT -m hashlimit --hashlimit-name .. --hashlimit-upto 5/s -j ACCEPT', expect: 'error' },
  { rules: `${HL} --hashlimit-upto 5/s --hashlimit-srcmask 255.0.255.0 -j ACCEPT`, expect: 'error' },
  { rules: `${HL} --hashlimit-upto 1/day --hashlimit-burst 1000000 -j ACCEPT`, expect: 'error' },
  { rules: `${HL} --hashlimit-upto 1/day --hashlimit-burst 100000 -j ACCEPT`, expect: 'error' },
  { rules: `${HL} --hashlimit-upto 1/hour --hashlimit-burst 1000 -j ACCEPT`, expect: 'ok' },
  { rules: `${HL} --hashlimit-upto 2000000/hour --hashlimit-rate-match -j ACCEPT`, expect: 'error' },
  { rules: `${HL} --hashlimit-upto 34359738352b/s -j ACCEPT`, expect: 'error' },
  { rules: `-A X ${HL.slice(9)} --hashlimit-upto 5/s --hashlimit-htable-expire 0 -j ACCEPT`, chains: ['X'], expect: 'error' },
  { rules: `-A INPUT -m hashlimit --hashlimit-name ${'n'.repeat(40)} --hashlimit-upto 5/s -j ACCEPT`, expect: 'ok' }, // cut to 31 bytes
  { rules: `${HL} --hashlimit-upto 5/s --hashlimit-srcmask 64 --hashlimit-dstmask 128 -j ACCEPT`, family: 'ipv6', expect: 'ok' },
  { rules: `${HL} --hashlimit-upto 5/s --hashlimit-dstmask 129 -j ACCEPT`, family: 'ipv6', expect: 'error' },
];

const RC = '-A INPUT -m recent';
const RECENT: RuleCase[] = [
  { rules: `${RC} --set`, expect: 'ok' },
  { rules: `${RC} --rcheck --seconds 60 --hitcount 4 --name ssh -j DROP`, expect: 'ok' },
  { rules: `${RC} --update --seconds 60 --reap --rttl --hitcount 2 --rdest -j DROP`, expect: 'ok' },
  { rules: `${RC} ! --remove --name foo --mask 255.255.0.0 --rsource -j ACCEPT`, expect: 'ok' },
  { rules: `${RC} --set --mask 1.2.3 -j ACCEPT`, expect: 'ok' },
  { rules: `${RC} --rcheck --hitcount 65535 -j DROP`, expect: 'ok' },
  { rules: `${RC} --set --rsource --rdest -j ACCEPT`, expect: 'ok' },
  { rules: `${RC} --rcheck --hitcount 4 -m recent --rcheck --hitcount 5 --name foo -j DROP`, expect: 'ok' },
  { rules: `${RC} -j DROP`, expect: 'error', code: 'bad-value' },
  { rules: `${RC} --rttl -j DROP`, expect: 'error' },
  { rules: `${RC} --set --rcheck -j DROP`, expect: 'error' },
  { rules: `${RC} --set --set -j DROP`, expect: 'error' },
  { rules: `${RC} --set --rttl -j DROP`, expect: 'error' },
  { rules: `${RC} --rcheck --reap -j DROP`, expect: 'error' },
  { rules: `${RC} --update --seconds 0 -j DROP`, expect: 'error' },
  { rules: `${RC} --set ! --rttl -j DROP`, expect: 'error' },
  // Refused by the kernel's checkentry.
  { rules: `${RC} --set --seconds 5 -j DROP`, expect: 'error', code: 'kernel-refuses' },
  { rules: `${RC} --set --hitcount 5 -j DROP`, expect: 'error' },
  { rules: `${RC} --remove --reap --seconds 5 -j DROP`, expect: 'error' },
  { rules: `${RC} --rcheck --hitcount 65536 -j DROP`, expect: 'error' },
  { rules: `${RC} --rcheck --name "" -j DROP`, expect: 'error' },
  { rules: `${RC} --rcheck --name a/b -j DROP`, expect: 'error' },
  { rules: `${RC} --rcheck --name . -j DROP`, expect: 'error' },
  { rules: `${RC} --rcheck --name ${'r'.repeat(250)} -j DROP`, expect: 'ok' }, // cut to 199 bytes
  { rules: `${RC} --set --mask ffff:ffff:: -j ACCEPT`, family: 'ipv6', expect: 'ok' },
  { rules: `${RC} --set --seconds 5 -j ACCEPT`, family: 'ipv6', expect: 'error' },
  // A --mask host name is resolved at load time (no DNS in the oracle's namespace).
  { rules: `${RC} --set --mask mask.example -j ACCEPT`, expect: 'ok', envDependent: true },
];

const OWNER: RuleCase[] = [
  { rules: '-A OUTPUT -m owner --uid-owner root -j ACCEPT', expect: 'ok' },
  { rules: '-A OUTPUT -m owner --uid-owner 0-10 --gid-owner 0:10 --suppl-groups -j ACCEPT', expect: 'ok' },
  { rules: '-A OUTPUT -m owner ! --uid-owner 1000 ! --gid-owner root -j ACCEPT', expect: 'ok' },
  { rules: '-A OUTPUT -m owner ! --socket-exists -j DROP', expect: 'ok' },
  { rules: '-A OUTPUT -m owner --uid-owner 4294967294 -j ACCEPT', expect: 'ok' },
  { rules: '-A OUTPUT -m owner --uid-owner 0x10 -j ACCEPT', expect: 'ok' },
  { rules: '-A POSTROUTING -m owner --uid-owner 0 -j ACCEPT', table: 'nat', expect: 'ok' },
  { rules: '-A OUTPUT -m owner --uid-owner 0 -j ACCEPT', table: 'nat', expect: 'ok' },
  { rules: '-A POSTROUTING -m owner --gid-owner 0 -j MARK --set-mark 1', table: 'mangle', expect: 'ok' },
  // User and group names are looked up on the loading host.
  { rules: '-A OUTPUT -m owner --uid-owner nobody -j ACCEPT', expect: 'ok', envDependent: true },
  { rules: '-A OUTPUT -m owner --gid-owner www-data -j ACCEPT', expect: 'ok', envDependent: true },
  { rules: '-A OUTPUT -m owner --uid-owner nosuchuserxyz -j ACCEPT', expect: 'ok', envDependent: true },
  { rules: '-A OUTPUT -m owner -j ACCEPT', expect: 'error', code: 'bad-value' },
  { rules: '-A OUTPUT -m owner --uid-owner 5- -j ACCEPT', expect: 'error', code: 'bad-value' },
  { rules: '-A OUTPUT -m owner --uid-owner 4294967295 -j ACCEPT', expect: 'error' },
  { rules: '-A OUTPUT -m owner --uid-owner -1 -j ACCEPT', expect: 'error' },
  { rules: '-A OUTPUT -m owner --uid-owner 1 --uid-owner 2 -j ACCEPT', expect: 'error' },
  { rules: '-A OUTPUT -m owner --suppl-groups --gid-owner 0-10 -j ACCEPT', expect: 'error' },
  { rules: '-A OUTPUT -m owner --gid-owner 0-10 ! --suppl-groups -j ACCEPT', expect: 'error' },
  { rules: '-A OUTPUT -m owner --uid-owner 10-5 -j ACCEPT', expect: 'error', code: 'kernel-refuses' },
  // Hooks: OUTPUT and POSTROUTING only, also through user chains.
  { rules: '-A INPUT -m owner --uid-owner 0 -j ACCEPT', expect: 'error', code: 'wrong-hook' },
  { rules: '-A FORWARD -m owner --socket-exists -j ACCEPT', expect: 'error' },
  { rules: '-A PREROUTING -m owner --uid-owner 0 -j ACCEPT', table: 'nat', expect: 'error' },
  { rules: ['-A INPUT -j X', '-A X -m owner --uid-owner 0 -j ACCEPT'], chains: ['X'], expect: 'error' },
  { rules: ['-A X -m owner --uid-owner 0 -j ACCEPT', '-A INPUT -j X'], chains: ['X'], expect: 'error' },
  { rules: ['-A OUTPUT -j X', '-A X -m owner --uid-owner 0 -j ACCEPT'], chains: ['X'], expect: 'ok' },
  { rules: ['-A OUTPUT -j X', '-A FORWARD -j X', '-A X -m owner --uid-owner 0 -j ACCEPT'], chains: ['X'], expect: 'error' },
  { rules: '-A X -m owner --uid-owner 0 -j ACCEPT', chains: ['X'], expect: 'ok' },
  { rules: ['-A FORWARD -j X', '-A X -j Y', '-A Y -m owner --uid-owner 0 -j ACCEPT'], chains: ['X', 'Y'], expect: 'error' },
  // iptables-legacy (mark_source_chains) stops walking a chain at an unconditional ACCEPT/DROP/RETURN/QUEUE:
  // later rules, and chains they jump to, get no hook. iptables-nft checks every rule of a reachable chain.
  { rules: ['-A INPUT -j ACCEPT', '-A INPUT -m owner --uid-owner 0 -j ACCEPT'], expect: 'error', legacy: 'ok' },
  { rules: ['-A INPUT -p tcp -j ACCEPT', '-A INPUT -m owner --uid-owner 0 -j ACCEPT'], expect: 'error' },
  { rules: ['-A INPUT -j DROP', '-A INPUT -j X', '-A X -m owner --uid-owner 0 -j ACCEPT'], chains: ['X'], expect: 'error', legacy: 'ok' },
  { rules: ['-A INPUT -j X', '-A X -s 0/0 -j RETURN', '-A X -m owner --uid-owner 0 -j ACCEPT'], chains: ['X'], expect: 'error', legacy: 'ok' },
  { rules: ['-A INPUT -j X', '-A X -j QUEUE', '-A X -m owner --uid-owner 0 -j ACCEPT'], chains: ['X'], expect: 'error', legacy: 'ok' },
  { rules: ['-A INPUT -j X', '-A X ! -s 0/0 -j RETURN', '-A X -m owner --uid-owner 0 -j ACCEPT'], chains: ['X'], expect: 'error' },
  { rules: ['-A INPUT -j X', '-A X -m comment --comment c -j RETURN', '-A X -m owner --uid-owner 0 -j ACCEPT'], chains: ['X'], expect: 'error' },
  { rules: ['-A INPUT -j X', '-A X -j LOG', '-A X -m owner --uid-owner 0 -j ACCEPT'], chains: ['X'], expect: 'error' },
  { rules: ['-A INPUT -j X', '-A X -j RETURN', '-A X -m owner --uid-owner 0 -j ACCEPT'], chains: ['X'], family: 'ipv6', expect: 'error', legacy: 'ok' },
  { rules: ['-A INPUT -j X', '-A X -p all -j RETURN', '-A X -m owner --uid-owner 0 -j ACCEPT'], chains: ['X'], expect: 'error', legacy: 'ok' },
  { rules: ['-A INPUT -j X', '-A X -p all -j RETURN', '-A X -m owner --uid-owner 0 -j ACCEPT'], chains: ['X'], family: 'ipv6', expect: 'error' },
  { rules: '-A OUTPUT -m owner --uid-owner 0 -j ACCEPT', family: 'ipv6', expect: 'ok' },
  { rules: '-A INPUT -m owner --uid-owner 0 -j ACCEPT', family: 'ipv6', expect: 'error' },
];

const ST = '-A INPUT -m statistic';
const STATISTIC: RuleCase[] = [
  { rules: `${ST} --mode random --probability 0.25 -j DROP`, expect: 'ok' },
  { rules: `${ST} --mode random ! --probability 0.5 -j DROP`, expect: 'ok' },
  { rules: `${ST} --mode random --probability 1 -j DROP`, expect: 'ok' },
  { rules: `${ST} --mode random --probability 1e-3 -j DROP`, expect: 'ok' },
  { rules: `${ST} --mode random --probability 0x0.8p0 -j DROP`, expect: 'ok' },
  { rules: `${ST} --mode random --probability nan -j DROP`, expect: 'ok' },
  { rules: `${ST} --mode nth --every 3 --packet 0 -j DROP`, expect: 'ok' },
  { rules: `${ST} --mode nth ! --every 5 --packet 4 -j DROP`, expect: 'ok' },
  { rules: `${ST} --mode nth --every 1 --packet 0 -j DROP`, expect: 'ok' },
  { rules: `${ST} -j DROP`, expect: 'error', code: 'bad-value' },
  { rules: `${ST} --probability 0.5 -j DROP`, expect: 'error' },
  { rules: `${ST} --mode random -j DROP`, expect: 'error' },
  { rules: `${ST} --mode random --probability 1.1 -j DROP`, expect: 'error' },
  { rules: `${ST} --mode random --probability 0.5x -j DROP`, expect: 'error' },
  { rules: `${ST} --mode bogus -j DROP`, expect: 'error' },
  { rules: `${ST} ! --mode random --probability 0.2 -j DROP`, expect: 'error' },
  { rules: `${ST} --mode random --probability 0.5 --mode nth -j DROP`, expect: 'error' },
  { rules: `${ST} --mode nth --every 5 -j DROP`, expect: 'error' },
  { rules: `${ST} --mode nth --packet 0 -j DROP`, expect: 'error' },
  { rules: `${ST} --mode nth --every 3 --packet 3 -j DROP`, expect: 'error' },
  { rules: `${ST} --mode nth --every 0 --packet 0 -j DROP`, expect: 'error' },
  { rules: `${ST} --mode nth --probability 0.5 -j DROP`, expect: 'error' },
  { rules: `${ST} --mode random --every 2 --packet 1 -j DROP`, expect: 'error' },
  { rules: `${ST} --mode random --probability 0.5 --every 2 --packet 1 -j DROP`, expect: 'error' },
  { rules: `${ST} --mode nth --every 2 --packet 1 -j DROP`, family: 'ipv6', expect: 'ok' },
];

const LENGTH: RuleCase[] = [
  { rules: '-A INPUT -m length --length 1 -j DROP', expect: 'ok' },
  { rules: '-A INPUT -m length --length :2 -j DROP', expect: 'ok' },
  { rules: '-A INPUT -m length --length 4: -j DROP', expect: 'ok' },
  { rules: '-A INPUT -m length ! --length 0:65535 -j DROP', expect: 'ok' },
  { rules: '-A INPUT -m length --length 10:5 -j DROP', expect: 'ok' }, // reversed: never matches
  { rules: '-A INPUT -m length --length : -j DROP', expect: 'ok' },
  { rules: '-A INPUT -m length --length 0x40 -j DROP', expect: 'ok' },
  { rules: '-A INPUT -m length -j DROP', expect: 'error', code: 'bad-value' },
  { rules: '-A INPUT -m length --length 0:65536 -j DROP', expect: 'error' },
  { rules: '-A INPUT -m length --length -1:65535 -j DROP', expect: 'error' },
  { rules: '-A INPUT -m length --length 1:2:3 -j DROP', expect: 'error' },
  { rules: '-A INPUT -m length --length 5x -j DROP', expect: 'error' },
  { rules: '-A INPUT -m length --length 1 --length 2 -j DROP', expect: 'error' },
];

const TTL_HL: RuleCase[] = [
  { rules: '-A INPUT -m ttl --ttl-eq 64 -j DROP', expect: 'ok' },
  { rules: '-A INPUT -m ttl ! --ttl-eq 255 -j DROP', expect: 'ok' },
  { rules: '-A INPUT -m ttl --ttl-lt 5 -j DROP', expect: 'ok' },
  { rules: '-A INPUT -m ttl --ttl-gt 0 -j DROP', expect: 'ok' },
  { rules: '-A INPUT -m ttl --ttl 5 -j DROP', expect: 'ok' },
  { rules: '-A INPUT -m ttl ! --ttl 5 -j DROP', expect: 'ok' }, // options are looked up by id: --ttl acts as --ttl-eq, which can be inverted
  { rules: '-A INPUT -m ttl -j DROP', expect: 'error', code: 'bad-value' },
  { rules: '-A INPUT -m ttl --ttl-eq 256 -j DROP', expect: 'error' },
  { rules: '-A INPUT -m ttl --ttl-eq -1 -j DROP', expect: 'error' },
  { rules: '-A INPUT -m ttl --ttl-lt 5 --ttl-gt 3 -j DROP', expect: 'error' },
  { rules: '-A INPUT -m ttl --ttl 5 --ttl-eq 5 -j DROP', expect: 'error' },
  { rules: '-A INPUT -m ttl ! --ttl-lt 5 -j DROP', expect: 'error' },
  { rules: '-A INPUT -m ttl --ttl-eq 5 -j DROP', family: 'ipv6', expect: 'error', code: 'wrong-family' },
  { rules: '-A INPUT -m hl --hl-eq 42 -j DROP', family: 'ipv6', expect: 'ok' },
  { rules: '-A INPUT -m hl ! --hl-eq 42 -j DROP', family: 'ipv6', expect: 'ok' },
  { rules: '-A INPUT -m hl --hl-lt 42 -j DROP', family: 'ipv6', expect: 'ok' },
  { rules: '-A INPUT -m hl --hl 5 -j DROP', family: 'ipv6', expect: 'ok' },
  { rules: '-A INPUT -m hl -j DROP', family: 'ipv6', expect: 'error', code: 'bad-value' },
  { rules: '-A INPUT -m hl --hl-gt 42 --hl-eq 42 -j DROP', family: 'ipv6', expect: 'error' },
  { rules: '-A INPUT -m hl --hl-gt -j DROP', family: 'ipv6', expect: 'error' },
  { rules: '-A INPUT -m hl --hl-lt 256 -j DROP', family: 'ipv6', expect: 'error' },
  { rules: '-A INPUT -m hl --hl-eq 5 -j DROP', expect: 'error', code: 'wrong-family' },
];

const PKTTYPE: RuleCase[] = [
  { rules: '-A INPUT -m pkttype --pkt-type unicast -j ACCEPT', expect: 'ok' },
  { rules: '-A INPUT -m pkttype --pkt-type broadcast -j DROP', expect: 'ok' },
  { rules: '-A INPUT -m pkttype ! --pkt-type multicast -j ACCEPT', expect: 'ok' },
  { rules: '-A INPUT -m pkttype --pkt-type otherhost -j DROP', expect: 'ok' },
  { rules: '-A INPUT -m pkttype --pkt-type BCAST -j DROP', expect: 'ok' },
  { rules: '-A INPUT -m pkttype --pkt-type mcast -j DROP', expect: 'ok' },
  { rules: '-A INPUT -m pkttype --pkt-type host -j DROP', expect: 'ok' },
  { rules: '-A INPUT -m pkttype --pkt-type multicast -j DROP', family: 'ipv6', expect: 'ok' },
  { rules: '-A INPUT -m pkttype --pkt-type wrong -j DROP', expect: 'error', code: 'bad-value' },
  { rules: '-A INPUT -m pkttype --pkt-type outgoing -j DROP', expect: 'error' },
  { rules: '-A INPUT -m pkttype -j DROP', expect: 'error' },
  { rules: '-A INPUT -m pkttype --pkt-type unicast --pkt-type broadcast -j DROP', expect: 'error' },
];

const SM = '-A INPUT -m string';
const X128 = 'x'.repeat(128);
const STRING: RuleCase[] = [
  { rules: `${SM} --algo bm --string "test" -j DROP`, expect: 'ok' },
  { rules: `${SM} ! --string "GET /" --algo kmp --from 40 --to 80 --icase -j DROP`, expect: 'ok' },
  { rules: `${SM} --string ${X128} --algo bm -j DROP`, expect: 'ok' },
  { rules: `${SM} --hex-string "|0a0a0a0a|" --algo bm -j DROP`, expect: 'ok' },
  { rules: `${SM} --hex-string "|0a 0b|" --algo kmp -j DROP`, expect: 'ok' },
  { rules: `${SM} --hex-string "a|41 |b\\\\c" --algo kmp -j DROP`, expect: 'ok' },
  { rules: `${SM} --hex-string "abc|" --algo kmp -j DROP`, expect: 'ok' },
  { rules: `${SM} --hex-string "|   41|" --algo kmp -j DROP`, expect: 'ok' },
  { rules: `${SM} --string x --algo kmp --to 0 -j DROP`, expect: 'ok' },
  { rules: `${SM} --algo fsm --hex-string "|0000044100000041|" -j DROP`, expect: 'ok' },
  { rules: `${SM} --string ${X128}x --algo bm -j DROP`, expect: 'error', code: 'bad-value' },
  { rules: `${SM} --algo bm -j DROP`, expect: 'error' },
  { rules: `${SM} --string x -j DROP`, expect: 'error' },
  { rules: `${SM} --string x --hex-string y --algo bm -j DROP`, expect: 'error' },
  { rules: `${SM} --hex-string "" --algo bm -j DROP`, expect: 'error' },
  { rules: `${SM} --hex-string "|0a0|" --algo bm -j DROP`, expect: 'error' },
  { rules: `${SM} --hex-string "|0a" --algo bm -j DROP`, expect: 'error' },
  { rules: `${SM} --hex-string "|0g|" --algo bm -j DROP`, expect: 'error' },
  { rules: `${SM} --hex-string "||" --algo bm -j DROP`, expect: 'error' },
  { rules: `${SM} --hex-string "|41  42|" --algo bm -j DROP`, expect: 'error' },
  { rules: `${SM} --hex-string "ab\\\\" --algo bm -j DROP`, expect: 'error' },
  { rules: `${SM} --hex-string "|4\\\\1|" --algo bm -j DROP`, expect: 'error' },
  { rules: `${SM} --string x --algo bm --from 65536 -j DROP`, expect: 'error' },
  // Refused by the kernel's checkentry (textsearch_prepare).
  { rules: `${SM} --string x --algo wrong -j DROP`, expect: 'error', code: 'kernel-refuses' },
  { rules: `${SM} --string x --algo BM -j DROP`, expect: 'error' },
  { rules: `${SM} --string x --algo bmxxxxxxxxxxxxxxxxxxx -j DROP`, expect: 'error' },
  { rules: `${SM} --string "" --algo bm -j DROP`, expect: 'error' },
  { rules: `${SM} --string x --algo kmp --from 10 --to 5 -j DROP`, expect: 'error' },
  { rules: `${SM} --string abcd --algo fsm -j DROP`, expect: 'error' },
  { rules: `${SM} --hex-string "|0e000041|" --algo fsm -j DROP`, expect: 'error' },
  { rules: `${SM} --hex-string "|0000044100000041|" --algo fsm --icase -j DROP`, expect: 'error' },
  { rules: `${SM} --hex-string "|00000041|" --algo fsm -j DROP`, expect: 'ok' },
  { rules: `${SM} --hex-string "|00000441|" --algo fsm -j DROP`, expect: 'error' },
  { rules: `${SM} --string "GET " --algo bm -j DROP`, family: 'ipv6', expect: 'ok' },
];

const U = '-A INPUT -m u32 --u32';
const U32: RuleCase[] = [
  { rules: `${U} "0x0=0x0&&0x0=0x1" -j DROP`, expect: 'ok' },
  { rules: `${U} "0>>22&0x3C@0>>16=0x0:0xFF,0x100" -j DROP`, expect: 'ok' },
  { rules: `${U} "0 = 1 && 4 = 5 : 6" -j DROP`, expect: 'ok' },
  { rules: `${U} "6&0xFF=1&&4&0x3FFF=0&&0>>22&0x3C@4>>24=0" -j DROP`, expect: 'ok' },
  { rules: `${U} "0=1&&1=2&&2=3&&3=4&&4=5&&5=6&&6=7&&7=8&&8=9&&9=10" -j DROP`, expect: 'ok' },
  { rules: `${U} "0&1&2&3&4&5&6&7&8&9=1" -j DROP`, expect: 'ok' },
  { rules: `${U} "0=1,2,3,4,5,6,7,8,9,10" -j DROP`, expect: 'ok' },
  { rules: `${U} "0=+5" -j DROP`, expect: 'ok' },
  { rules: '-A INPUT -m u32 ! --u32 0=1 -j DROP', expect: 'ok' },
  { rules: '-A INPUT -m u32 -j DROP', expect: 'error', code: 'bad-value' },
  { rules: `${U} "0=1&&1=2&&2=3&&3=4&&4=5&&5=6&&6=7&&7=8&&8=9&&9=10&&10=11" -j DROP`, expect: 'error' },
  { rules: `${U} "0&1&2&3&4&5&6&7&8&9&10=1" -j DROP`, expect: 'error' },
  { rules: `${U} "0=1,2,3,4,5,6,7,8,9,10,11" -j DROP`, expect: 'error' },
  { rules: `${U} "0" -j DROP`, expect: 'error' },
  { rules: `${U} "0=" -j DROP`, expect: 'error' },
  { rules: `${U} "=1" -j DROP`, expect: 'error' },
  { rules: `${U} "0<1=1" -j DROP`, expect: 'error' },
  { rules: `${U} "0=1&2=3" -j DROP`, expect: 'error' },
  { rules: `${U} "0=1 2" -j DROP`, expect: 'error' },
  { rules: `${U} "0=-1" -j DROP`, expect: 'error' },
  { rules: `${U} "0=0x100000000" -j DROP`, expect: 'error' },
  { rules: `${U} "0=1&&" -j DROP`, expect: 'error' },
  { rules: `${U} "" -j DROP`, expect: 'error' },
  { rules: `${U} "0 x=1" -j DROP`, expect: 'error' },
];

export const CASES: readonly RuleCase[] = [...SET, ...LIMIT, ...HASHLIMIT, ...RECENT, ...OWNER, ...STATISTIC, ...LENGTH, ...TTL_HL, ...PKTTYPE, ...STRING, ...U32];
