/**
 * What the raw table's CT rules (those without --notrack) put on packets: a template, which until
 * conntrack matches see as NEW and which conntrack then looks the packet up with (effect.ts
 * attachRewrite, pipeline.ts conntrack); a helper, whose expected connections are RELATED; a zone,
 * which keeps a connection's entries apart from other zones' (trackedAnswers.ts).
 */
import type { EmuRule, EmuRuleset } from '../../emulator/compile';
import type { CtTarget } from '../../lang/iptables/extensions/targets/CT';

export interface CtTemplates {
  /** Some CT rule puts a template on packets. */
  readonly template: boolean;
  /** Some gives connections a helper (CT --helper). */
  readonly helper: boolean;
  /** The rules that give a zone, with the raw chain each is in. */
  readonly zoned: ReadonlyArray<{ readonly chain: string; readonly rule: EmuRule }>;
}

const NO_TEMPLATES: CtTemplates = { template: false, helper: false, zoned: [] };

export function ctTemplates(rs: EmuRuleset): CtTemplates {
  const raw = rs.tables.get('raw');
  if (!raw) return NO_TEMPLATES;
  let template = false;
  let helper = false;
  const zoned: Array<{ chain: string; rule: EmuRule }> = [];
  for (const [chain, c] of raw.chains) {
    for (const rule of c.rules) {
      if (rule.target.kind !== 'ext' || rule.target.name !== 'CT') continue;
      const d = rule.target.data as CtTarget | undefined;
      if (!d || d.notrack) continue;
      template = true;
      if (d.helper) helper = true;
      if (d.zone) zoned.push({ chain, rule });
    }
  }
  return template ? { template, helper, zoned } : NO_TEMPLATES;
}
