// Placeholder entry: the language server is wired in a later step of this issue.
export {};
