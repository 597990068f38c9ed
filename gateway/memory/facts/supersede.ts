// Which facts a batch of new ones replaces. A fact is superseded, never deleted, when a later
// statement contradicts or updates it, recognised two ways: the same subject key (one
// single-valued attribute, "user.home_city": two values cannot both be current), or the extractor
// naming a known fact the prompt showed it. "Later" is by when it was said, not by when the
// extraction ran: batches may finish out of order, and an old statement extracted late must not
// override a newer one (it is stored already superseded by it instead).
//
// Pure: ids in, pairs out. The store applies them within the user's own scope only.

export interface StoredFact {
  id: string;
  subject: string | undefined;
  /** When it was said (epoch milliseconds). */
  at: number;
}

export interface IncomingFact extends StoredFact {
  /** Ids of stored facts the extractor said this one supersedes (already mapped from the prompt's labels). */
  supersedes: readonly string[];
}

export interface Supersession {
  id: string;
  by: string;
}

/** Later wins; at the same time, the incoming fact (it was extracted from the newer context), then the later in the batch. */
function newer(a: { at: number; order: number }, b: { at: number; order: number }): boolean {
  return a.at > b.at || (a.at === b.at && a.order > b.order);
}

export function decideSupersessions(incoming: readonly IncomingFact[], stored: readonly StoredFact[]): Supersession[] {
  // Stored facts rank before every incoming one at equal times (order -1 and below).
  const all = [
    ...stored.map((fact, i) => ({ ...fact, order: i - stored.length, supersedes: [] as readonly string[], incoming: false })),
    ...incoming.map((fact, i) => ({ ...fact, order: i, incoming: true })),
  ];
  const byId = new Map<string, string>();
  const mark = (id: string, by: string): void => {
    if (id !== by && !byId.has(id)) byId.set(id, by);
  };
  // Same subject: the newest statement stands, every other one is superseded by it.
  const bySubject = new Map<string, (typeof all)[number][]>();
  for (const fact of all) {
    if (fact.subject === undefined) continue;
    bySubject.set(fact.subject, [...(bySubject.get(fact.subject) ?? []), fact]);
  }
  for (const group of bySubject.values()) {
    if (group.length < 2) continue;
    const winner = group.reduce((best, fact) => (newer(fact, best) ? fact : best));
    for (const fact of group) mark(fact.id, winner.id);
  }
  // Named by the extractor: only facts that were shown (stored), and only when the naming fact is not older.
  const storedById = new Map(all.filter((f) => !f.incoming).map((f) => [f.id, f]));
  for (const fact of all) {
    for (const id of fact.supersedes) {
      const old = storedById.get(id);
      if (old !== undefined && !newer(old, fact)) mark(id, fact.id);
    }
  }
  return [...byId].map(([id, by]) => ({ id, by })).sort((a, b) => a.id.localeCompare(b.id));
}
