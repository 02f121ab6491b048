/** comment match (extensions/libxt_comment.c): always matches; text kept to 255 bytes. */
import { utf8Length } from '../../../utf8';
import { defineExtension } from '../../extension';

export interface CommentMatch {
  text: string;
}

export const comment = defineExtension<CommentMatch>({
  kind: 'match',
  name: 'comment',
  summary: 'Attaches a note to the rule; always matches.',
  options: [{ name: 'comment', id: 0, type: 'string', mand: true, size: 256, doc: 'text, up to 255 bytes (longer is cut)' }],
  init: () => ({ text: '' }),
  parse(c) {
    const raw = c.arg ?? '';
    c.data.text = c.val.str ?? raw;
    if (utf8Length(raw) > 255) c.warn('Comments are kept to 255 bytes: iptables silently cuts the rest.', 'comment-truncated');
  },
  save: (d) => `--comment ${JSON.stringify(d.text)}`,
  describe: (d) => `comment "${d.text}"`,
});
