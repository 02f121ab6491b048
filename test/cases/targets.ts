import type { RuleCase } from '../helpers/ruleCases';

/**
 * Targets: REJECT (IPv4/IPv6), LOG, NFLOG, ULOG, TRACE, MARK, CONNMARK, CT,
 * NOTRACK, DNAT, SNAT, MASQUERADE, REDIRECT, NETMAP, TPROXY, NFQUEUE,
 * CHECKSUM, TCPMSS, CLASSIFY — every accepted form, every error path,
 * table/hook restrictions (directly and through user chains) and the
 * differences between iptables-nft and iptables-legacy.
 */

const v6 = { family: 'ipv6' } as const;
const nat = { table: 'nat' } as const;
const mangle = { table: 'mangle' } as const;
const raw = { table: 'raw' } as const;
const U = { chains: ['U'] } as const;

const REJECT: readonly RuleCase[] = [
  { rules: '-A INPUT -j REJECT', expect: 'ok' },
  { rules: '-A INPUT -p tcp -j REJECT --reject-with tcp-reset', expect: 'ok' },
  { rules: '-A INPUT -p 6 -j REJECT --reject-with tcp-rst', expect: 'ok' },
  // The kernel checks the finished rule, so "-p tcp" may come after the target.
  { rules: '-A INPUT -j REJECT --reject-with tcp-reset -p tcp', expect: 'ok' },
  { rules: '-A INPUT -j REJECT --reject-with tcp-reset', expect: 'error', code: 'kernel-refuses' },
  { rules: '-A INPUT ! -p tcp -j REJECT --reject-with tcp-reset', expect: 'error', code: 'kernel-refuses' },
  { rules: '-A INPUT -p udp -j REJECT --reject-with tcp-reset', expect: 'error', code: 'kernel-refuses' },
  { rules: '-A INPUT -j REJECT --reject-with port-unreach', expect: 'ok' },
  { rules: '-A FORWARD -j REJECT --reject-with ICMP-HOST-PROHIB', expect: 'ok' },
  { rules: '-A OUTPUT -j REJECT --reject-with icmp-admin-prohibited', expect: 'ok' },
  // Any prefix picks the first type it fits: "icmp" and "" are icmp-net-unreachable, "t" is tcp-reset.
  { rules: '-A OUTPUT -j REJECT --reject-with icmp', expect: 'ok' },
  { rules: '-A INPUT -j REJECT --reject-with ""', expect: 'ok' },
  { rules: '-A INPUT -j REJECT --reject-with t', expect: 'error', code: 'kernel-refuses' },
  { rules: '-A INPUT -j REJECT --reject-with echo-reply', expect: 'error', code: 'bad-value' },
  { rules: '-A INPUT -j REJECT --reject-with bogus', expect: 'error', code: 'bad-value' },
  { rules: '-A INPUT -j REJECT --reject-with icmp-net-prohibited --reject-with host-prohib', expect: 'error', code: 'bad-value' },
  { rules: '-A INPUT -j REJECT ! --reject-with icmp-net-prohibited', expect: 'error' },
  { rules: '-A INPUT -j REJECT --reject-with', expect: 'error' },
  { rules: '-A INPUT -j REJECT', ...mangle, expect: 'error', code: 'wrong-table' },
  { rules: '-A INPUT -j REJECT', ...nat, expect: 'error', code: 'wrong-table' },
  { rules: '-A OUTPUT -j REJECT', ...raw, expect: 'error', code: 'wrong-table' },
  { rules: ['-A U -p tcp -j REJECT --reject-with tcp-reset', '-A INPUT -j U'], ...U, expect: 'ok' },
  // checkentry runs for unreachable rules too.
  { rules: '-A U -j REJECT --reject-with tcp-reset', ...U, expect: 'error', code: 'kernel-refuses' },
  // IPv6 has its own type names.
  { rules: '-A INPUT -j REJECT --reject-with icmp6-adm-prohibited', ...v6, expect: 'ok' },
  { rules: '-A INPUT -j REJECT --reject-with no-route', ...v6, expect: 'ok' },
  { rules: '-A FORWARD -j REJECT --reject-with icmp6-policy-fail', ...v6, expect: 'ok' },
  { rules: '-A INPUT -j REJECT --reject-with icmp-port-unreachable', ...v6, expect: 'error', code: 'bad-value' },
  { rules: '-A INPUT -j REJECT --reject-with tcp-reset', ...v6, expect: 'error', code: 'kernel-refuses' },
  { rules: '-A INPUT -p tcp -j REJECT --reject-with tcp-reset', ...v6, expect: 'ok' },
  { rules: '-A PREROUTING -j REJECT', ...v6, ...mangle, expect: 'error', code: 'wrong-table' },
];

const LOG: readonly RuleCase[] = [
  { rules: '-A INPUT -j LOG', expect: 'ok' },
  { rules: '-A INPUT -j LOG --log-prefix "dropped: " --log-level 7', expect: 'ok' },
  { rules: '-A INPUT -j LOG --log-level debug', expect: 'ok' },
  { rules: '-A INPUT -j LOG --log-level panic', expect: 'ok' },
  { rules: '-A INPUT -j LOG --log-level error', expect: 'ok' },
  { rules: '-A INPUT -j LOG --log-level 0x7', expect: 'ok' },
  { rules: '-A INPUT -j LOG --log-level 8', expect: 'error', code: 'bad-value' },
  { rules: '-A INPUT -j LOG --log-level warn', expect: 'error', code: 'bad-value' },
  { rules: '-A INPUT -j LOG --log-level Warning', expect: 'error', code: 'bad-value' },
  { rules: '-A INPUT -j LOG --log-level 4 --log-level 5', expect: 'error' },
  // Names come from fixed tables (not JavaScript object properties).
  { rules: '-A INPUT -j LOG --log-level toString', expect: 'error', code: 'bad-value' },
  { rules: '-A INPUT -p constructor -j LOG', expect: 'error' },
  // Longer than 29 characters: iptables 1.8.9 cuts it silently (we warn).
  { rules: '-A INPUT -j LOG --log-prefix "123456789012345678901234567890123"', expect: 'ok' },
  { rules: '-A INPUT -j LOG --log-prefix ""', expect: 'error', code: 'bad-value' },
  { rules: '-A INPUT -j LOG --log-prefix', expect: 'error' },
  { rules: '-A INPUT -j LOG --log-tcp-sequence --log-tcp-options --log-ip-options --log-uid --log-macdecode', expect: 'ok' },
  { rules: '-A INPUT -j LOG --log-uid --log-uid', expect: 'error' },
  { rules: '-A INPUT -j LOG ! --log-uid', expect: 'error' },
  { rules: '-A INPUT -j LOG --log-prefix x --bogus', expect: 'error', code: 'unknown-option' },
  { rules: '-A PREROUTING -j LOG', ...nat, expect: 'ok' },
  { rules: '-A PREROUTING -j LOG --log-level info', ...raw, expect: 'ok' },
  { rules: ['-A U -j LOG', '-A FORWARD -j U'], ...U, expect: 'ok' },
  { rules: '-A POSTROUTING -j LOG --log-prefix x', ...mangle, ...v6, expect: 'ok' },
];

const NFLOG: readonly RuleCase[] = [
  { rules: '-A INPUT -j NFLOG', expect: 'ok' },
  { rules: '-A INPUT -j NFLOG --nflog-group 65535', expect: 'ok' },
  { rules: '-A INPUT -j NFLOG --nflog-group 65536', expect: 'error', code: 'bad-value' },
  { rules: '-A INPUT -j NFLOG --nflog-group -1', expect: 'error' },
  { rules: '-A INPUT -j NFLOG --nflog-group 5 --nflog-prefix abc --nflog-threshold 10', expect: 'ok' },
  { rules: '-A INPUT -j NFLOG --nflog-threshold 65536', expect: 'error' },
  { rules: '-A INPUT -j NFLOG --nflog-size 0', expect: 'ok' },
  { rules: '-A INPUT -j NFLOG --nflog-size 4294967296', expect: 'error' },
  // Obsolete but accepted (with a warning).
  { rules: '-A INPUT -j NFLOG --nflog-range 5', expect: 'ok' },
  { rules: '-A INPUT -j NFLOG --nflog-range 5 --nflog-size 5', expect: 'error', code: 'bad-value' },
  { rules: '-A INPUT -j NFLOG --nflog-prefix ""', expect: 'error' },
  { rules: '-A INPUT -j NFLOG --nflog-prefix 1234567890123456789012345678901234567890123456789012345678901234567890', expect: 'ok' },
  { rules: '-A INPUT -j NFLOG --nflog-group 1 --nflog-group 2', expect: 'error' },
  { rules: '-A POSTROUTING -j NFLOG --nflog-group 3 --nflog-prefix abc', ...nat, expect: 'ok' },
  { rules: '-A PREROUTING -j NFLOG', ...raw, expect: 'ok' },
  { rules: '-A INPUT -j NFLOG --nflog-group 2', ...v6, expect: 'ok' },
];

const ULOG: readonly RuleCase[] = [
  // The kernel lost ULOG in 3.17: nft refuses the rule, legacy the COMMIT.
  { rules: '-A INPUT -j ULOG', expect: 'error', code: 'kernel-refuses' },
  { rules: '-A INPUT -j ULOG --ulog-nlgroup 2 --ulog-prefix x --ulog-cprange 100 --ulog-qthreshold 10', expect: 'error', code: 'kernel-refuses' },
  { rules: '-A U -j ULOG', ...U, expect: 'error', code: 'kernel-refuses' },
  { rules: ['-A INPUT -j ACCEPT', '-A U -j ULOG', '-A INPUT -j DROP'], ...U, expect: 'error', code: 'kernel-refuses' },
  { rules: '-A INPUT -j ULOG --ulog-nlgroup 33', expect: 'error', code: 'bad-value' },
  { rules: '-A INPUT -j ULOG --ulog-nlgroup 0', expect: 'error', code: 'bad-value' },
  { rules: '-A INPUT -j ULOG --ulog-qthreshold 51', expect: 'error', code: 'bad-value' },
  { rules: '-A INPUT -j ULOG --ulog-prefix ""', expect: 'error', code: 'bad-value' },
  { rules: '-A INPUT -j ULOG --ulog-cprange -1', expect: 'error', code: 'bad-value' },
  { rules: '-A INPUT -j ULOG --ulog-prefix 1234567890123456789012345678901234567890', expect: 'error', code: 'kernel-refuses' },
  // ip6tables has no ULOG: the name is taken for a chain that does not exist.
  { rules: '-A INPUT -j ULOG', ...v6, expect: 'error' },
];

const TRACE: readonly RuleCase[] = [
  { rules: '-A PREROUTING -j TRACE', ...raw, expect: 'ok' },
  { rules: '-A OUTPUT -p tcp -j TRACE', ...raw, expect: 'ok' },
  { rules: ['-A U -j TRACE', '-A PREROUTING -j U'], ...raw, ...U, expect: 'ok' },
  // iptables-nft emits native "meta nftrace set 1", which works in any table.
  { rules: '-A INPUT -j TRACE', expect: 'ok', legacy: 'error' },
  { rules: '-A PREROUTING -j TRACE', ...mangle, expect: 'ok', legacy: 'error' },
  { rules: '-A OUTPUT -j TRACE', ...nat, expect: 'ok', legacy: 'error' },
  { rules: '-A U -j TRACE', ...U, expect: 'ok', legacy: 'error' },
  { rules: '-A OUTPUT -j TRACE --foo', ...raw, expect: 'error', code: 'unknown-option' },
  { rules: '-A PREROUTING -j TRACE', ...raw, ...v6, expect: 'ok' },
  { rules: '-A FORWARD -j TRACE', ...v6, expect: 'ok', legacy: 'error' },
];

const MARK: readonly RuleCase[] = [
  { rules: '-A PREROUTING -j MARK --set-mark 1', ...mangle, expect: 'ok' },
  { rules: '-A PREROUTING -j MARK --set-mark 0x10/0xff', ...mangle, expect: 'ok' },
  { rules: '-A INPUT -j MARK --set-xmark 0xfeedcafe/0xfeedcafe', expect: 'ok' },
  { rules: '-A INPUT -j MARK --set-xmark 4294967295', expect: 'ok' },
  { rules: '-A INPUT -j MARK --and-mark 0xff', expect: 'ok' },
  { rules: '-A INPUT -j MARK --or-mark 1', expect: 'ok' },
  { rules: '-A INPUT -j MARK --xor-mark 010', expect: 'ok' },
  { rules: '-A INPUT -j MARK', expect: 'error', code: 'bad-value' },
  { rules: '-A INPUT -j MARK --set-mark 1 --or-mark 2', expect: 'error', code: 'bad-value' },
  { rules: '-A INPUT -j MARK --set-mark 1 --set-mark 2', expect: 'error' },
  { rules: '-A INPUT -j MARK --and-mark 1/0xff', expect: 'error' },
  { rules: '-A INPUT -j MARK --xor-mark 0x100000000', expect: 'error' },
  { rules: '-A INPUT -j MARK --set-xmark 1/2/3', expect: 'error' },
  { rules: '-A INPUT -j MARK --set-xmark -1', expect: 'error' },
  { rules: '-A INPUT -j MARK ! --set-mark 1', expect: 'error' },
  { rules: '-A PREROUTING -j MARK --set-mark 1', ...nat, expect: 'ok' },
  { rules: '-A PREROUTING -j MARK --set-mark 1', ...raw, expect: 'ok' },
  { rules: '-A INPUT -j MARK --set-mark 1', table: 'security', ...v6, expect: 'ok' },
];

const CONNMARK: readonly RuleCase[] = [
  { rules: '-A PREROUTING -j CONNMARK --restore-mark', ...mangle, expect: 'ok' },
  { rules: '-A POSTROUTING -j CONNMARK --save-mark', ...mangle, expect: 'ok' },
  { rules: '-A POSTROUTING -j CONNMARK --save-mark --nfmask 0xff --ctmask 0xff00', ...mangle, expect: 'ok' },
  { rules: '-A INPUT -j CONNMARK --restore-mark --mask 0xff', expect: 'ok' },
  { rules: '-A INPUT -j CONNMARK --set-mark 1/0xff', expect: 'ok' },
  { rules: '-A INPUT -j CONNMARK --set-xmark 1', expect: 'ok' },
  { rules: '-A INPUT -j CONNMARK --and-mark 7', expect: 'ok' },
  { rules: '-A INPUT -j CONNMARK --xor-mark 7 --mask 3', expect: 'ok' },
  { rules: '-A INPUT -j CONNMARK', expect: 'error', code: 'bad-value' },
  { rules: '-A INPUT -j CONNMARK --nfmask 1', expect: 'error', code: 'bad-value' },
  { rules: '-A INPUT -j CONNMARK --save-mark --mask 0xff --nfmask 1', expect: 'error' },
  { rules: '-A INPUT -j CONNMARK --set-mark 1 --save-mark', expect: 'error' },
  { rules: '-A INPUT -j CONNMARK --save-mark --restore-mark', expect: 'error' },
  { rules: '-A INPUT -j CONNMARK --set-xmark 1/3 --left-shift-mark 33', expect: 'error' },
  { rules: '-A INPUT -j CONNMARK --set-xmark 1/3 --left-shift-mark 32 --right-shift-mark 3', expect: 'ok' },
  // iptables takes 32; the kernel refuses shifts over 31 (the last shift option given counts).
  { rules: '-A INPUT -j CONNMARK --set-xmark 1/3 --left-shift-mark 32', expect: 'error', code: 'kernel-refuses' },
  { rules: '-A INPUT -j CONNMARK --save-mark --right-shift-mark 3 --left-shift-mark 32', expect: 'error', code: 'kernel-refuses' },
  { rules: '-A INPUT -j CONNMARK --restore-mark --right-shift-mark 31', expect: 'ok' },
  { rules: '-A X -j CONNMARK --xor-mark 7 --right-shift-mark 32', chains: ['X'], expect: 'error', code: 'kernel-refuses' },
  { rules: '-A INPUT -j CONNMARK --left-shift-mark 2', expect: 'error' },
  { rules: '-A INPUT -j CONNMARK --save-mark --ctmask 0x100000000', expect: 'error' },
  { rules: '-A OUTPUT -j CONNMARK --and-mark 7', ...nat, expect: 'ok' },
  { rules: '-A OUTPUT -j CONNMARK --or-mark 7', ...raw, expect: 'ok' },
  { rules: '-A FORWARD -j CONNMARK --restore-mark', ...v6, expect: 'ok' },
];

const CT: readonly RuleCase[] = [
  { rules: '-A PREROUTING -j CT', ...raw, expect: 'ok' },
  { rules: '-A PREROUTING -j CT --notrack', ...raw, expect: 'ok' },
  { rules: '-A PREROUTING -j CT --notrack --notrack', ...raw, expect: 'error' },
  { rules: '-A INPUT -j CT --notrack', expect: 'error', code: 'wrong-table' },
  { rules: '-A PREROUTING -j CT --notrack', ...mangle, expect: 'error', code: 'wrong-table' },
  { rules: ['-A U -j CT --notrack', '-A OUTPUT -j U'], ...raw, ...U, expect: 'ok' },
  { rules: '-A PREROUTING -p tcp --dport 21 -j CT --helper ftp', ...raw, expect: 'ok' },
  { rules: '-A PREROUTING -j CT --helper ftp -p tcp', ...raw, expect: 'ok' },
  { rules: '-A PREROUTING -j CT --helper ftp', ...raw, expect: 'error', code: 'kernel-refuses' },
  { rules: '-A PREROUTING ! -p tcp -j CT --helper ftp', ...raw, expect: 'error', code: 'kernel-refuses' },
  { rules: '-A PREROUTING -p udp -j CT --helper ftp', ...raw, expect: 'error', code: 'kernel-refuses' },
  { rules: '-A PREROUTING -p tcp -j CT --helper nosuch', ...raw, expect: 'error', code: 'kernel-refuses' },
  // Longer than 15 bytes: cut to "123456789012345", no such helper.
  { rules: '-A PREROUTING -p tcp -j CT --helper 12345678901234567890', ...raw, expect: 'error', code: 'kernel-refuses' },
  // With --notrack the kernel looks at nothing else.
  { rules: '-A PREROUTING -j CT --notrack --helper nosuch', ...raw, expect: 'ok' },
  // A mainline helper the kernel under test is built without.
  { rules: '-A PREROUTING -p udp -j CT --helper tftp', ...raw, expect: 'ok', envDependent: true },
  // Needs a policy made beforehand with "nfct timeout add" (never in a fresh namespace): we warn.
  { rules: '-A PREROUTING -j CT --timeout foo', ...raw, expect: 'error', ours: 'ok', envDependent: true },
  { rules: '-A PREROUTING -j CT --ctevents new,related,destroy,reply,assured,protoinfo,helper,mark', ...raw, expect: 'ok' },
  { rules: '-A PREROUTING -j CT --ctevents new,bogus', ...raw, expect: 'error', code: 'bad-value' },
  { rules: '-A PREROUTING -j CT --ctevents ""', ...raw, expect: 'error' },
  { rules: '-A PREROUTING -j CT --expevents new', ...raw, expect: 'ok' },
  { rules: '-A PREROUTING -j CT --expevents related', ...raw, expect: 'error' },
  { rules: '-A PREROUTING -j CT --zone 65535', ...raw, expect: 'ok' },
  { rules: '-A PREROUTING -j CT --zone 0x10', ...raw, expect: 'ok' },
  { rules: '-A PREROUTING -j CT --zone 65536', ...raw, expect: 'error', code: 'bad-value' },
  { rules: '-A PREROUTING -j CT --zone abc', ...raw, expect: 'error' },
  { rules: '-A PREROUTING -j CT --zone MARK --zone-orig 3', ...raw, expect: 'ok' },
  { rules: '-A PREROUTING -j CT --zone-orig 3 --zone-reply 4', ...raw, expect: 'ok' },
  { rules: '-A OUTPUT -j CT --notrack', ...raw, ...v6, expect: 'ok' },
];

const NOTRACK: readonly RuleCase[] = [
  { rules: '-A PREROUTING -j NOTRACK', ...raw, expect: 'ok' },
  { rules: '-A PREROUTING -p udp --dport 53 -j NOTRACK', ...raw, expect: 'ok' },
  { rules: '-A INPUT -j NOTRACK', expect: 'error', code: 'wrong-table' },
  { rules: '-A PREROUTING -j NOTRACK', ...mangle, expect: 'error', code: 'wrong-table' },
  { rules: '-A OUTPUT -j NOTRACK --notrack', ...raw, expect: 'error', code: 'unknown-option' },
  { rules: ['-A U -j NOTRACK', '-A PREROUTING -j U'], ...raw, ...U, expect: 'ok' },
  { rules: '-A OUTPUT -j NOTRACK', ...raw, ...v6, expect: 'ok' },
  { rules: '-A PREROUTING -j NOTRACK', ...nat, expect: 'error', code: 'wrong-table' },
  { rules: '-A INPUT -j NOTRACK', ...v6, expect: 'error', code: 'wrong-table' },
];

const DNAT: readonly RuleCase[] = [
  { rules: '-A PREROUTING -j DNAT --to-destination 1.2.3.4', ...nat, expect: 'ok' },
  { rules: '-A OUTPUT -j DNAT --to-destination 1.2.3.4', ...nat, expect: 'ok' },
  { rules: '-A PREROUTING -j DNAT', ...nat, expect: 'error', code: 'bad-value' },
  { rules: '-A PREROUTING -p tcp -j DNAT --to-destination 1.2.3.4:80', ...nat, expect: 'ok' },
  { rules: '-A PREROUTING -p udp -j DNAT --to-destination 1.2.3.4-1.2.3.9:1000-2000', ...nat, expect: 'ok' },
  { rules: '-A PREROUTING -p sctp -j DNAT --to-destination :80', ...nat, expect: 'ok' },
  { rules: '-A PREROUTING -p dccp -j DNAT --to-destination 1.2.3.4:80', ...nat, expect: 'ok' },
  // libxt_NAT lets icmp through as if it had ports, and ignores "!".
  { rules: '-A PREROUTING -p icmp -j DNAT --to-destination 1.2.3.4:80', ...nat, expect: 'ok' },
  { rules: '-A PREROUTING ! -p tcp -j DNAT --to-destination 1.2.3.4:80', ...nat, expect: 'ok' },
  { rules: '-A PREROUTING -j DNAT --to-destination 1.2.3.4:80', ...nat, expect: 'error', code: 'bad-value' },
  // Checked while parsing: "-p" after the target is too late.
  { rules: '-A PREROUTING -j DNAT --to-destination 1.2.3.4:80 -p tcp', ...nat, expect: 'error', code: 'bad-value' },
  { rules: '-A PREROUTING -p gre -j DNAT --to-destination 1.2.3.4:80', ...nat, expect: 'error', code: 'bad-value' },
  // Two colons read as an IPv6 address.
  { rules: '-A PREROUTING -p tcp -j DNAT --to-destination 1.2.3.4:80:90', ...nat, expect: 'error', code: 'bad-value' },
  { rules: '-A PREROUTING -p tcp -j DNAT --to-destination 1.2.3.4:80-90:100', ...nat, expect: 'error' },
  { rules: '-A PREROUTING -p tcp -j DNAT --to-destination 1.2.3.4:90-80', ...nat, expect: 'error' },
  // Revision 2: shifted port maps.
  { rules: '-A PREROUTING -p tcp -j DNAT --to-destination 1.2.3.4:80-90/100', ...nat, expect: 'ok' },
  { rules: '-A PREROUTING -p tcp -j DNAT --to-destination 1.2.3.4:80-90/0', ...nat, expect: 'error' },
  { rules: '-A PREROUTING -p tcp -j DNAT --to-destination 1.2.3.4:http', ...nat, expect: 'ok' },
  { rules: '-A PREROUTING -p tcp -j DNAT --to-destination 1.2.3.4:80-http', ...nat, expect: 'error' },
  { rules: '-A PREROUTING -p tcp -j DNAT --to-destination 1.2.3.4:', ...nat, expect: 'error' },
  { rules: '-A PREROUTING -p tcp -j DNAT --to-destination 1.2.3.4:0x50', ...nat, expect: 'ok' },
  { rules: '-A PREROUTING -p tcp -j DNAT --to-destination 1.2.3.4:80x', ...nat, expect: 'error' },
  { rules: '-A PREROUTING -p tcp -j DNAT --to-destination 1.2.3.4:70000', ...nat, expect: 'error' },
  { rules: '-A PREROUTING -j DNAT --to-destination 01.2.3.4', ...nat, expect: 'error', code: 'bad-value' },
  { rules: '-A PREROUTING -j DNAT --to-destination 1.2.3', ...nat, expect: 'error' },
  { rules: '-A PREROUTING -j DNAT --to-destination 1.2.3.9-1.2.3.4', ...nat, expect: 'ok' },
  { rules: '-A PREROUTING -j DNAT --to-destination [1.2.3.4]', ...nat, expect: 'error' },
  { rules: '-A PREROUTING -j DNAT --to-destination ""', ...nat, expect: 'error' },
  { rules: '-A PREROUTING -j DNAT --to-destination localhost', ...nat, expect: 'error' },
  // A colon at offset 0 or 2 means "ports only" (offset 2 is meant for "[]:80"), so "12:80" has no address.
  { rules: '-A PREROUTING -p tcp -j DNAT --to-destination 12:80', ...nat, expect: 'ok' },
  { rules: '-A PREROUTING -p tcp -j DNAT --to-destination 1.2.3.4-:80', ...nat, expect: 'error', code: 'bad-value' },
  // strtoul skips blanks before a port; whatever follows the base port is ignored.
  { rules: '-A PREROUTING -p tcp -j DNAT --to-destination "1.2.3.4: 80"', ...nat, expect: 'ok' },
  { rules: '-A PREROUTING -p tcp -j DNAT --to-destination 1.2.3.4:80-90/100xyz', ...nat, expect: 'ok' },
  { rules: '-A PREROUTING -j DNAT --to-destination " 1.2.3.4"', ...nat, expect: 'error' },
  { rules: '-A PREROUTING -j DNAT --to-destination 1.2.3.4 --random --persistent', ...nat, expect: 'ok' },
  { rules: '-A PREROUTING -j DNAT --to-destination 1.2.3.4 --random-fully', ...nat, expect: 'error', code: 'unknown-option' },
  { rules: '-A PREROUTING -j DNAT --to-destination 1.2.3.4 --to-destination 1.2.3.5', ...nat, expect: 'error' },
  { rules: '-A POSTROUTING -j DNAT --to-destination 1.2.3.4', ...nat, expect: 'error', code: 'wrong-hook' },
  { rules: '-A INPUT -j DNAT --to-destination 1.2.3.4', ...nat, expect: 'error', code: 'wrong-hook' },
  { rules: '-A PREROUTING -j DNAT --to-destination 1.2.3.4', ...mangle, expect: 'error', code: 'wrong-table' },
  { rules: ['-A U -j DNAT --to-destination 1.2.3.4', '-A PREROUTING -j U', '-A OUTPUT -j U'], ...nat, ...U, expect: 'ok' },
  // Through a user chain: nft names the jump that makes it reachable, legacy the COMMIT.
  { rules: ['-A U -j DNAT --to-destination 1.2.3.4', '-A POSTROUTING -j U'], ...nat, ...U, expect: 'error', code: 'wrong-hook' },
  { rules: ['-A POSTROUTING -j U', '-A U -j DNAT --to-destination 1.2.3.4'], ...nat, ...U, expect: 'error', code: 'wrong-hook' },
  { rules: ['-A U -j DNAT --to-destination 1.2.3.4', '-A V -j U', '-A INPUT -j V'], ...nat, chains: ['U', 'V'], expect: 'error', code: 'wrong-hook' },
  // Unreachable: no hook to check.
  { rules: '-A U -j DNAT --to-destination 1.2.3.4', ...nat, ...U, expect: 'ok' },
  // IPv6: brackets when a port follows.
  { rules: '-A PREROUTING -j DNAT --to-destination ::1', ...nat, ...v6, expect: 'ok' },
  { rules: '-A PREROUTING -j DNAT --to-destination [2001:db8::1]', ...nat, ...v6, expect: 'ok' },
  { rules: '-A PREROUTING -p tcp -j DNAT --to-destination [2001:db8::1]:80', ...nat, ...v6, expect: 'ok' },
  { rules: '-A PREROUTING -j DNAT --to-destination [::1]:80', ...nat, ...v6, expect: 'error', code: 'bad-value' },
  { rules: '-A PREROUTING -p tcp -j DNAT --to-destination [::1]:80:90', ...nat, ...v6, expect: 'error', code: 'bad-value' },
  { rules: '-A PREROUTING -p tcp -j DNAT --to-destination [::1]:80-90/85', ...nat, ...v6, expect: 'ok' },
  { rules: '-A PREROUTING -p tcp -j DNAT --to-destination [::1-::5]:80', ...nat, ...v6, expect: 'ok' },
  { rules: '-A PREROUTING -p tcp -j DNAT --to-destination []:80', ...nat, ...v6, expect: 'ok' },
  { rules: '-A PREROUTING -p tcp -j DNAT --to-destination :80', ...nat, ...v6, expect: 'ok' },
  { rules: '-A PREROUTING -p tcp -j DNAT --to-destination [::1', ...nat, ...v6, expect: 'error' },
  { rules: '-A PREROUTING -p tcp -j DNAT --to-destination []', ...nat, ...v6, expect: 'error', code: 'bad-value' },
  // Text between "]" and the colon is ignored.
  { rules: '-A PREROUTING -p tcp -j DNAT --to-destination [::1]x:80', ...nat, ...v6, expect: 'ok' },
  { rules: '-A PREROUTING -p tcp -j DNAT --to-destination fe80::1:80', ...nat, ...v6, expect: 'ok' },
  { rules: '-A PREROUTING -j DNAT --to-destination 1.2.3.4', ...nat, ...v6, expect: 'error', code: 'bad-value' },
  { rules: '-A PREROUTING -p icmpv6 -j DNAT --to-destination [::1]:80', ...nat, ...v6, expect: 'error' },
  { rules: '-A POSTROUTING -j DNAT --to-destination ::1', ...nat, ...v6, expect: 'error', code: 'wrong-hook' },
];

const SNAT: readonly RuleCase[] = [
  { rules: '-A POSTROUTING -j SNAT --to-source 1.2.3.4', ...nat, expect: 'ok' },
  { rules: '-A INPUT -j SNAT --to-source 1.2.3.4', ...nat, expect: 'ok' },
  { rules: '-A PREROUTING -j SNAT --to-source 1.2.3.4', ...nat, expect: 'error', code: 'wrong-hook' },
  { rules: '-A OUTPUT -j SNAT --to-source 1.2.3.4', ...nat, expect: 'error', code: 'wrong-hook' },
  { rules: '-A POSTROUTING -o eth0 -p udp -j SNAT --to-source :53', ...nat, expect: 'ok' },
  { rules: '-A POSTROUTING -p udp -j SNAT --to-source 1.2.3.4-1.2.3.6:1000-2000', ...nat, expect: 'ok' },
  // Revision 0 keeps the flag of a shifted map but drops its base.
  { rules: '-A POSTROUTING -p udp -j SNAT --to-source 1.2.3.4:1000-2000/1500', ...nat, expect: 'ok' },
  { rules: '-A POSTROUTING -p udp -j SNAT --to-source 1.2.3.4 --random --random-fully --persistent', ...nat, expect: 'ok' },
  { rules: '-A POSTROUTING -j SNAT --to-source 1.2.3.4:1000', ...nat, expect: 'error', code: 'bad-value' },
  { rules: '-A POSTROUTING -j SNAT --to-source 1.2.3.4 --to-source 1.2.3.5', ...nat, expect: 'error' },
  { rules: '-A POSTROUTING -j SNAT', ...nat, expect: 'error' },
  { rules: '-A POSTROUTING -j SNAT --to-source 1.2.3.4', ...mangle, expect: 'error', code: 'wrong-table' },
  { rules: ['-A U -j SNAT --to-source 1.2.3.4', '-A OUTPUT -j U'], ...nat, ...U, expect: 'error', code: 'wrong-hook' },
  { rules: ['-A U -j SNAT --to-source 1.2.3.4', '-A POSTROUTING -j U', '-A INPUT -j U'], ...nat, ...U, expect: 'ok' },
  { rules: '-A POSTROUTING -p tcp -j SNAT --to-source [2001:db8::1]:80-90/85', ...nat, ...v6, expect: 'ok' },
  { rules: '-A POSTROUTING -j SNAT --to-source 2001:db8::1-2001:db8::9', ...nat, ...v6, expect: 'ok' },
];

const MASQUERADE: readonly RuleCase[] = [
  { rules: '-A POSTROUTING -o eth0 -j MASQUERADE', ...nat, expect: 'ok' },
  { rules: '-A POSTROUTING -j MASQUERADE --to-ports 1000', ...nat, expect: 'error', code: 'bad-value' },
  { rules: '-A POSTROUTING -p tcp -j MASQUERADE --to-ports 1000-2000', ...nat, expect: 'ok' },
  { rules: '-A POSTROUTING -p tcp -j MASQUERADE --to-ports 1000:2000', ...nat, expect: 'error', code: 'bad-value' },
  { rules: '-A POSTROUTING -p tcp -j MASQUERADE --to-ports 1000-2000/1500', ...nat, expect: 'ok' },
  { rules: '-A POSTROUTING -p tcp -j MASQUERADE --to-ports 1.2.3.4:1000', ...nat, expect: 'error' },
  { rules: '-A POSTROUTING -j MASQUERADE --random --random-fully', ...nat, expect: 'ok' },
  { rules: '-A POSTROUTING -j MASQUERADE --persistent', ...nat, expect: 'error', code: 'unknown-option' },
  { rules: '-A POSTROUTING -j MASQUERADE --to-source 1.2.3.4', ...nat, expect: 'error', code: 'unknown-option' },
  { rules: '-A PREROUTING -j MASQUERADE', ...nat, expect: 'error', code: 'wrong-hook' },
  { rules: '-A INPUT -j MASQUERADE', ...nat, expect: 'error', code: 'wrong-hook' },
  { rules: '-A OUTPUT -j MASQUERADE', ...nat, expect: 'error', code: 'wrong-hook' },
  { rules: '-A POSTROUTING -j MASQUERADE', ...mangle, expect: 'error', code: 'wrong-table' },
  { rules: ['-A U -j MASQUERADE', '-A POSTROUTING -s 10.0.0.0/8 -j U'], ...nat, ...U, expect: 'ok' },
  { rules: ['-A U -j MASQUERADE', '-A POSTROUTING -j U', '-A PREROUTING -j U'], ...nat, ...U, expect: 'error', code: 'wrong-hook' },
  { rules: '-A POSTROUTING -j MASQUERADE', ...nat, ...v6, expect: 'ok' },
  { rules: '-A POSTROUTING -p udp -j MASQUERADE --to-ports 80-90/85', ...nat, ...v6, expect: 'ok' },
];

const REDIRECT: readonly RuleCase[] = [
  { rules: '-A PREROUTING -j REDIRECT', ...nat, expect: 'ok' },
  { rules: '-A PREROUTING -p tcp --dport 80 -j REDIRECT --to-ports 8080', ...nat, expect: 'ok' },
  { rules: '-A PREROUTING -p tcp -j REDIRECT --to-ports 8080-8090', ...nat, expect: 'ok' },
  { rules: '-A PREROUTING -p tcp -j REDIRECT --to-ports http', ...nat, expect: 'ok' },
  { rules: '-A PREROUTING -p tcp -j REDIRECT --to-ports 8080-8090/8085', ...nat, expect: 'error', code: 'bad-value' },
  { rules: '-A PREROUTING -j REDIRECT --to-ports 8080', ...nat, expect: 'error', code: 'bad-value' },
  { rules: '-A OUTPUT -p udp -j REDIRECT --to-ports 53 --random', ...nat, expect: 'ok' },
  { rules: '-A PREROUTING -p tcp -j REDIRECT --to-ports 8080 --to-ports 9090', ...nat, expect: 'error' },
  { rules: '-A PREROUTING -j REDIRECT --random-fully', ...nat, expect: 'error', code: 'unknown-option' },
  { rules: '-A POSTROUTING -j REDIRECT', ...nat, expect: 'error', code: 'wrong-hook' },
  { rules: '-A INPUT -j REDIRECT', ...nat, expect: 'error', code: 'wrong-hook' },
  { rules: '-A INPUT -j REDIRECT', expect: 'error', code: 'wrong-table' },
  { rules: ['-A U -p tcp -j REDIRECT --to-ports 3128', '-A PREROUTING -j U'], ...nat, ...U, expect: 'ok' },
  { rules: ['-A U -p tcp -j REDIRECT --to-ports 3128', '-A POSTROUTING -j U'], ...nat, ...U, expect: 'error', code: 'wrong-hook' },
  { rules: '-A PREROUTING -p tcp -j REDIRECT --to-ports 80', ...nat, ...v6, expect: 'ok' },
  { rules: '-A PREROUTING -p tcp -j REDIRECT --to-ports 80-90/85', ...nat, ...v6, expect: 'error', code: 'bad-value' },
];

const NETMAP: readonly RuleCase[] = [
  { rules: '-A PREROUTING -d 10.1.0.0/16 -j NETMAP --to 10.2.0.0/16', ...nat, expect: 'ok' },
  { rules: '-A POSTROUTING -j NETMAP --to 10.0.0.0/255.0.0.0', ...nat, expect: 'ok' },
  { rules: '-A INPUT -j NETMAP --to 10.0.0.0/8', ...nat, expect: 'ok' },
  { rules: '-A OUTPUT -j NETMAP --to 1.2.3.4', ...nat, expect: 'ok' },
  { rules: '-A OUTPUT -j NETMAP --to 10.1', ...nat, expect: 'ok' },
  { rules: '-A OUTPUT -j NETMAP', ...nat, expect: 'error', code: 'bad-value' },
  // A mask is read with inet_aton: "33" is the (non-contiguous) mask 0.0.0.33.
  { rules: '-A OUTPUT -j NETMAP --to 10.0.0.0/33', ...nat, expect: 'ok' },
  { rules: '-A OUTPUT -j NETMAP --to 10.0.0.0/255.0.255.0', ...nat, expect: 'ok' },
  { rules: '-A OUTPUT -j NETMAP --to 10.0.0.0/abc', ...nat, expect: 'error', code: 'bad-value' },
  { rules: '-A OUTPUT -j NETMAP --to 10.0.0.0/-1', ...nat, expect: 'error' },
  { rules: '-A OUTPUT -j NETMAP --to 10.0.0.0/', ...nat, expect: 'error' },
  { rules: '-A OUTPUT -j NETMAP --to localhost', ...nat, expect: 'ok' },
  { rules: '-A OUTPUT -j NETMAP --to 10.0.0.0/8 --to 1.0.0.0/8', ...nat, expect: 'error' },
  { rules: '-A OUTPUT -j NETMAP --to 10.0.0.0/8', expect: 'error', code: 'wrong-table' },
  { rules: '-A OUTPUT -j NETMAP --to dead::/64', ...nat, ...v6, expect: 'ok' },
  { rules: '-A OUTPUT -j NETMAP --to dead::/ffff::', ...nat, ...v6, expect: 'ok' },
  { rules: '-A OUTPUT -j NETMAP --to dead::/129', ...nat, ...v6, expect: 'error', code: 'bad-value' },
];

const TPROXY: readonly RuleCase[] = [
  { rules: '-A PREROUTING -p tcp -j TPROXY --on-port 1234', ...mangle, expect: 'ok' },
  { rules: '-A PREROUTING -p tcp -j TPROXY --on-port 0 --on-ip 1.2.3.4 --tproxy-mark 1/1', ...mangle, expect: 'ok' },
  { rules: '-A PREROUTING -p udp -m udp --dport 53 -j TPROXY --on-port 5353 --tproxy-mark 0x23', ...mangle, expect: 'ok' },
  { rules: '-A PREROUTING -j TPROXY --on-port 1234', ...mangle, expect: 'error', code: 'kernel-refuses' },
  { rules: '-A PREROUTING ! -p tcp -j TPROXY --on-port 1234', ...mangle, expect: 'error', code: 'kernel-refuses' },
  { rules: '-A PREROUTING -p sctp -j TPROXY --on-port 1234', ...mangle, expect: 'error', code: 'kernel-refuses' },
  { rules: '-A PREROUTING -p tcp -j TPROXY --on-ip 1.2.3.4', ...mangle, expect: 'error', code: 'bad-value' },
  { rules: '-A PREROUTING -p tcp -j TPROXY --on-port http', ...mangle, expect: 'ok' },
  // The port goes through getaddrinfo(): decimal only, kept modulo 65536, "" is 0.
  { rules: '-A PREROUTING -p tcp -j TPROXY --on-port 65536', ...mangle, expect: 'ok' },
  { rules: '-A PREROUTING -p tcp -j TPROXY --on-port ""', ...mangle, expect: 'ok' },
  { rules: '-A PREROUTING -p tcp -j TPROXY --on-port 0x10', ...mangle, expect: 'error', code: 'bad-value' },
  { rules: '-A PREROUTING -p tcp -j TPROXY --on-port -1', ...mangle, expect: 'error' },
  { rules: '-A PREROUTING -p tcp -j TPROXY --on-port 4294967295', ...mangle, expect: 'error' },
  { rules: '-A PREROUTING -p tcp -j TPROXY --on-port 5x', ...mangle, expect: 'error' },
  { rules: '-A PREROUTING -p tcp -j TPROXY --on-port 1 --on-ip 1.2.3', ...mangle, expect: 'ok' },
  { rules: '-A PREROUTING -p tcp -j TPROXY --on-port 1 --on-ip 1.2.3.4/24', ...mangle, expect: 'error' },
  { rules: '-A PREROUTING -p tcp -j TPROXY --on-port 1 --tproxy-mark 0x1/0x1/0x1', ...mangle, expect: 'error' },
  { rules: '-A INPUT -p tcp -j TPROXY --on-port 1', ...mangle, expect: 'error', code: 'wrong-hook' },
  { rules: '-A PREROUTING -p tcp -j TPROXY --on-port 1', ...nat, expect: 'error', code: 'wrong-table' },
  { rules: '-A U -p udp -j TPROXY --on-port 1', ...mangle, ...U, expect: 'ok' },
  { rules: ['-A U -p udp -j TPROXY --on-port 1', '-A OUTPUT -j U'], ...mangle, ...U, expect: 'error', code: 'wrong-hook' },
  { rules: '-A PREROUTING -p udp -j TPROXY --on-port 53 --on-ip ::1', ...mangle, ...v6, expect: 'ok' },
  { rules: '-A PREROUTING -j TPROXY --on-port 53', ...mangle, ...v6, expect: 'error', code: 'kernel-refuses' },
];

const NFQUEUE: readonly RuleCase[] = [
  { rules: '-A INPUT -j NFQUEUE', expect: 'ok' },
  { rules: '-A INPUT -j NFQUEUE --queue-num 65535', expect: 'ok' },
  { rules: '-A INPUT -j NFQUEUE --queue-num 0x10', expect: 'ok' },
  { rules: '-A INPUT -j NFQUEUE --queue-num 65536', expect: 'error', code: 'bad-value' },
  { rules: '-A INPUT -j NFQUEUE --queue-balance 0:65534', expect: 'ok' },
  { rules: '-A INPUT -j NFQUEUE --queue-balance 1:65535', expect: 'ok' },
  // 65536 queues do not fit the kernel's 16-bit count.
  { rules: '-A INPUT -j NFQUEUE --queue-balance 0:65535', expect: 'error', code: 'kernel-refuses' },
  { rules: '-A INPUT -j NFQUEUE --queue-balance 5', expect: 'error', code: 'bad-value' },
  { rules: '-A INPUT -j NFQUEUE --queue-balance 5:5', expect: 'error', code: 'bad-value' },
  { rules: '-A INPUT -j NFQUEUE --queue-balance 5:', expect: 'ok' },
  { rules: '-A INPUT -j NFQUEUE --queue-balance :5', expect: 'ok' },
  { rules: '-A INPUT -j NFQUEUE --queue-balance 1:2:3', expect: 'error' },
  { rules: '-A INPUT -j NFQUEUE --queue-num 1 --queue-balance 2:3', expect: 'error', code: 'bad-value' },
  { rules: '-A INPUT -j NFQUEUE --queue-cpu-fanout', expect: 'error', code: 'bad-value' },
  { rules: '-A INPUT -j NFQUEUE --queue-balance 0:6 --queue-cpu-fanout --queue-bypass', expect: 'ok' },
  { rules: '-A INPUT -j NFQUEUE --queue-num 10 --queue-bypass', expect: 'ok' },
  { rules: '-A INPUT -j NFQUEUE --queue-bypass --queue-bypass', expect: 'error' },
  { rules: '-A PREROUTING -j NFQUEUE --queue-num 3', ...nat, expect: 'ok' },
  { rules: '-A FORWARD -j NFQUEUE --queue-balance 2:3', ...v6, expect: 'ok' },
];

const CHECKSUM: readonly RuleCase[] = [
  { rules: '-A POSTROUTING -p udp --dport 68 -j CHECKSUM --checksum-fill', ...mangle, expect: 'ok' },
  { rules: '-A PREROUTING -j CHECKSUM --checksum-fill', ...mangle, expect: 'ok' },
  { rules: '-A FORWARD -j CHECKSUM', ...mangle, expect: 'error', code: 'bad-value' },
  { rules: '-A FORWARD -j CHECKSUM --checksum-fill --checksum-fill', ...mangle, expect: 'error' },
  { rules: '-A FORWARD -j CHECKSUM ! --checksum-fill', ...mangle, expect: 'error' },
  { rules: '-A INPUT -j CHECKSUM --checksum-fill', expect: 'error', code: 'wrong-table' },
  { rules: '-A POSTROUTING -j CHECKSUM --checksum-fill', ...nat, expect: 'error', code: 'wrong-table' },
  { rules: '-A OUTPUT -j CHECKSUM --checksum-fill', ...raw, expect: 'error', code: 'wrong-table' },
  { rules: '-A POSTROUTING -j CHECKSUM --checksum-fill', ...mangle, ...v6, expect: 'ok' },
  { rules: ['-A U -j CHECKSUM --checksum-fill', '-A INPUT -j U', '-A OUTPUT -j U'], ...mangle, ...U, expect: 'ok' },
];

const TCPMSS: readonly RuleCase[] = [
  { rules: '-A FORWARD -p tcp --syn -j TCPMSS --set-mss 1400', ...mangle, expect: 'ok' },
  { rules: '-A FORWARD -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu', ...mangle, expect: 'ok' },
  { rules: '-A FORWARD -p tcp --tcp-flags FIN,SYN,RST,ACK SYN -j TCPMSS --clamp-mss-to-pmtu', expect: 'ok' },
  // Legacy wants a tcp match on SYN; nft never passes xt matches to the kernel.
  { rules: '-A FORWARD -p tcp -j TCPMSS --set-mss 1400', ...mangle, expect: 'ok', legacy: 'error' },
  { rules: '-A FORWARD -p tcp ! --syn -j TCPMSS --clamp-mss-to-pmtu', ...mangle, expect: 'ok', legacy: 'error' },
  { rules: '-A FORWARD -p tcp --tcp-flags SYN,RST RST -j TCPMSS --clamp-mss-to-pmtu', ...mangle, expect: 'ok', legacy: 'error' },
  { rules: '-A FORWARD -p tcp --tcp-flags ALL SYN,ACK -j TCPMSS --set-mss 1000', ...mangle, expect: 'ok' },
  { rules: '-A FORWARD -j TCPMSS --clamp-mss-to-pmtu', ...mangle, expect: 'error', code: 'needs-protocol' },
  { rules: '-A FORWARD ! -p tcp -j TCPMSS --set-mss 1', ...mangle, expect: 'error', code: 'needs-protocol' },
  { rules: '-A FORWARD -p tcp --syn -j TCPMSS', ...mangle, expect: 'error', code: 'bad-value' },
  { rules: '-A FORWARD -p tcp --syn -j TCPMSS --set-mss 65515', ...mangle, expect: 'ok' },
  { rules: '-A FORWARD -p tcp --syn -j TCPMSS --set-mss 65516', ...mangle, expect: 'error', code: 'bad-value' },
  // Not exclusive after all: the later option wins.
  { rules: '-A FORWARD -p tcp --syn -j TCPMSS --set-mss 100 --clamp-mss-to-pmtu', ...mangle, expect: 'ok' },
  { rules: '-A INPUT -p tcp --syn -j TCPMSS --clamp-mss-to-pmtu', ...mangle, expect: 'error', code: 'kernel-refuses' },
  { rules: '-A INPUT -p tcp --syn -j TCPMSS --clamp-mss-to-pmtu --set-mss 500', ...mangle, expect: 'ok' },
  { rules: '-A PREROUTING -p tcp --syn -j TCPMSS --clamp-mss-to-pmtu', ...mangle, expect: 'error', code: 'kernel-refuses' },
  { rules: '-A INPUT -p tcp --syn -j TCPMSS --set-mss 1000', ...mangle, expect: 'ok' },
  // nft checks the hook only for rules in base chains.
  { rules: ['-A U -p tcp --syn -j TCPMSS --clamp-mss-to-pmtu', '-A PREROUTING -j U'], ...mangle, ...U, expect: 'ok', legacy: 'error' },
  { rules: ['-A U -p tcp --syn -j TCPMSS --clamp-mss-to-pmtu', '-A POSTROUTING -j U'], ...mangle, ...U, expect: 'ok' },
  { rules: '-A POSTROUTING -o ppp0 -p tcp --syn -j TCPMSS --clamp-mss-to-pmtu', ...nat, expect: 'ok' },
  { rules: '-A FORWARD -p tcp --syn -j TCPMSS --set-mss 65495', ...mangle, ...v6, expect: 'ok' },
  { rules: '-A FORWARD -p tcp --syn -j TCPMSS --set-mss 65496', ...mangle, ...v6, expect: 'error', code: 'bad-value' },
  { rules: '-A FORWARD -p tcp -j TCPMSS --clamp-mss-to-pmtu', ...mangle, ...v6, expect: 'ok', legacy: 'error' },
];

const CLASSIFY: readonly RuleCase[] = [
  { rules: '-A POSTROUTING -j CLASSIFY --set-class 1:10', ...mangle, expect: 'ok' },
  { rules: '-A FORWARD -j CLASSIFY --set-class 0x1:0X2', ...mangle, expect: 'ok' },
  // sscanf("%x:%x") ignores what follows the minor, and skips spaces before each number.
  { rules: '-A POSTROUTING -j CLASSIFY --set-class 1:2xyz', ...mangle, expect: 'ok' },
  { rules: '-A OUTPUT -j CLASSIFY --set-class " 1: 2"', ...mangle, expect: 'ok' },
  { rules: '-A OUTPUT -j CLASSIFY --set-class "1 :2"', ...mangle, expect: 'error', code: 'bad-value' },
  { rules: '-A POSTROUTING -j CLASSIFY --set-class 1', ...mangle, expect: 'error', code: 'bad-value' },
  { rules: '-A POSTROUTING -j CLASSIFY --set-class g:1', ...mangle, expect: 'error' },
  // glibc's %x takes "0x" without a hex digit after it as 0, and goes on after the "x".
  { rules: '-A POSTROUTING -j CLASSIFY --set-class 0x:1', ...mangle, expect: 'ok' },
  { rules: '-A POSTROUTING -j CLASSIFY --set-class "-0X:0x"', ...mangle, expect: 'ok' },
  { rules: '-A POSTROUTING -j CLASSIFY --set-class 0xg:1', ...mangle, expect: 'error', code: 'bad-value' },
  { rules: '-A POSTROUTING -j CLASSIFY --set-class 00x:1', ...mangle, expect: 'error', code: 'bad-value' },
  { rules: '-A POSTROUTING -j CLASSIFY', ...mangle, expect: 'error', code: 'bad-value' },
  { rules: '-A PREROUTING -j CLASSIFY --set-class 1:1', ...mangle, expect: 'error', code: 'wrong-hook' },
  { rules: '-A INPUT -j CLASSIFY --set-class 1:1', ...mangle, expect: 'error', code: 'wrong-hook' },
  // Any table: only the hooks are restricted.
  { rules: '-A OUTPUT -j CLASSIFY --set-class 1:1', expect: 'ok' },
  { rules: '-A POSTROUTING -j CLASSIFY --set-class 1:1', ...nat, expect: 'ok' },
  { rules: '-A INPUT -j CLASSIFY --set-class 1:1', expect: 'error', code: 'wrong-hook' },
  { rules: ['-A U -j CLASSIFY --set-class 1:1', '-A FORWARD -j U', '-A INPUT -j U'], ...U, expect: 'error', code: 'wrong-hook' },
  { rules: '-A POSTROUTING -j CLASSIFY --set-class 1:ffff', ...mangle, ...v6, expect: 'ok' },
];

/** Chains cannot take a target's name (a ULOG chain is fine in ip6tables, which has no ULOG). */
const NAMES: readonly RuleCase[] = [
  { rules: '-N LOG', expect: 'error', code: 'chain-clashes-with-target' },
  { rules: '-N DNAT', expect: 'error', code: 'chain-clashes-with-target' },
  { rules: '-N NOTRACK', expect: 'error', code: 'chain-clashes-with-target' },
  { rules: '-N ULOG', expect: 'error', code: 'chain-clashes-with-target' },
  { rules: ['-N ULOG', '-A INPUT -j ULOG'], ...v6, expect: 'ok' },
  { rules: '-N LOGGING', expect: 'ok' },
];

export const CASES: readonly RuleCase[] = [
  ...REJECT,
  ...LOG,
  ...NFLOG,
  ...ULOG,
  ...TRACE,
  ...MARK,
  ...CONNMARK,
  ...CT,
  ...NOTRACK,
  ...DNAT,
  ...SNAT,
  ...MASQUERADE,
  ...REDIRECT,
  ...NETMAP,
  ...TPROXY,
  ...NFQUEUE,
  ...CHECKSUM,
  ...TCPMSS,
  ...CLASSIFY,
  ...NAMES,
];
