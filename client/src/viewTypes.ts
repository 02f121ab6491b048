/**
 * The webview panels' view types. Both come back after a window reload
 * (panelSerializers.ts); a unit test checks that package.json activates the
 * extension for each (onWebviewPanel:<view type>), without which VS Code
 * would not hand the panel back when no other event activated it.
 */
export const TRACE_VIEW_TYPE = 'netfilterLens.trace';
export const TOPOLOGY_VIEW_TYPE = 'netfilterLens.topology';

export const RESTORED_VIEW_TYPES = [TRACE_VIEW_TYPE, TOPOLOGY_VIEW_TYPE] as const;
