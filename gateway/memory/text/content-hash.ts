// The identity of a memory text: SHA-256 (hex) of its UTF-8 bytes, exactly as the store computes
// `content_hash` (store/memory-payload.ts), so a record's hash can be compared with stored ones to
// skip writing a text twice (an ADD-only store grows with every repeat otherwise). No
// normalisation here: near-duplicates ("I'm not allergic" / "i'm not allergic.") are a question
// for normaliseForComparison, at selection time. One hash per record, not per feature, so
// node:crypto's cost does not matter here.
import { createHash } from 'node:crypto';

export function contentHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
