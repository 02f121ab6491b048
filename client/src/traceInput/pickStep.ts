/**
 * One step of a multi-step quick input: a quick pick with "step n of m",
 * a back button from the second step on, the current answer pre-selected,
 * and (where the step allows it) a value typed by hand offered as its own
 * item. Resolves to the chosen value, "back", or undefined when dismissed.
 */
import * as vscode from 'vscode';
import type { Suggestion } from './suggestions';

export interface PickStep<T> {
  readonly title: string;
  readonly step: number;
  readonly totalSteps: number;
  readonly placeholder: string;
  readonly items: readonly Suggestion<T>[];
  /** The current answer: its item is pre-selected, else its text is typed in. */
  readonly current?: { readonly value: T; readonly text: string };
  readonly same: (a: T, b: T) => boolean;
  /** A typed value: what it means, or why it cannot be used. */
  readonly typed?: (text: string) => T | { readonly invalid: string };
  /** How a typed value's item reads. */
  readonly typedLabel?: string;
}

export type StepResult<T> = { readonly kind: 'value'; readonly value: T } | { readonly kind: 'back' } | undefined;

interface Item<T> extends vscode.QuickPickItem {
  readonly value?: T;
  readonly invalid?: string;
}

export function pickStep<T>(s: PickStep<T>): Promise<StepResult<T>> {
  const qp = vscode.window.createQuickPick<Item<T>>();
  qp.title = s.title;
  qp.step = s.step;
  qp.totalSteps = s.totalSteps;
  qp.placeholder = s.placeholder;
  qp.ignoreFocusOut = true;
  qp.matchOnDescription = true;
  qp.matchOnDetail = true;
  qp.buttons = s.step > 1 ? [vscode.QuickInputButtons.Back] : [];
  const base: Item<T>[] = s.items.map((i) => ({ label: i.label, ...(i.description ? { description: i.description } : {}), ...(i.detail ? { detail: i.detail } : {}), value: i.value }));
  const typedItem = (text: string): Item<T> | undefined => {
    if (!s.typed || !text.trim() || base.some((b) => b.label.replace(/^\$\([^)]*\)\s*/, '') === text.trim())) return undefined;
    const r = s.typed(text);
    const invalid = typeof r === 'object' && r !== null && 'invalid' in (r as object) ? (r as { invalid: string }).invalid : undefined;
    return invalid !== undefined
      ? { label: `$(error) ${text.trim()}`, description: invalid, alwaysShow: true, invalid }
      : { label: text.trim(), description: s.typedLabel ?? 'as typed', alwaysShow: true, value: r as T };
  };
  const refresh = (): void => {
    const t = typedItem(qp.value);
    qp.items = t ? [t, ...base] : base;
    if (t) qp.activeItems = [t];
  };
  qp.items = base;
  const cur = s.current;
  const match = cur ? base.find((b) => b.value !== undefined && s.same(b.value, cur.value)) : undefined;
  if (match) qp.activeItems = [match];
  else if (cur?.text && s.typed) {
    qp.value = cur.text;
    refresh();
  }
  return new Promise<StepResult<T>>((resolve) => {
    let done = false;
    const finish = (r: StepResult<T>): void => {
      if (done) return;
      done = true;
      resolve(r);
      qp.dispose();
    };
    qp.onDidChangeValue(refresh);
    qp.onDidTriggerButton((b) => b === vscode.QuickInputButtons.Back && finish({ kind: 'back' }));
    qp.onDidAccept(() => {
      const item = qp.selectedItems[0] ?? qp.activeItems[0];
      if (!item || item.invalid !== undefined || item.value === undefined) return;
      finish({ kind: 'value', value: item.value });
    });
    qp.onDidHide(() => finish(undefined));
    qp.show();
  });
}
