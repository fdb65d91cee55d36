// Label names across time: a run's metrics keep the names the labels had when it ran, so comparing runs maps each
// old name through the renames made after that run started (taxonomy history), and then says which labels only one
// of the runs has.

export interface LabelRename {
  from: string;
  to: string;
  /** When the rename was made (ISO 8601). */
  at: string;
}

/** A label's name now, for a run that started at `startedAt`: every later rename applied in order. */
export function nameNow(name: string, startedAt: string, renames: LabelRename[]): string {
  let current = name;
  for (const r of [...renames].sort((a, b) => (a.at < b.at ? -1 : 1))) if (r.at > startedAt && r.from === current) current = r.to;
  return current;
}

/** The labels only the first and only the second of two label sets have. */
export function labelSetDifference(a: string[], b: string[]): { onlyA: string[]; onlyB: string[] } {
  return { onlyA: a.filter((l) => !b.includes(l)), onlyB: b.filter((l) => !a.includes(l)) };
}
