// JSON Pointer (RFC 6901), the way TypeBox names where a value failed (`/models/2/pricing`) and
// how a schema path is walked: both the body check (protocols/body-check.ts) and the
// configuration's problems (config/schema-problems.ts) read these paths.

/** `/models/2/pricing` → ['models', '2', 'pricing']; '' (the whole document) → []. */
export function pointerSegments(pointer: string): string[] {
  return pointer === ''
    ? []
    : pointer
        .split('/')
        .slice(1)
        .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** One property name as a pointer segment: `a/b` → `a~1b`. */
export function pointerSegment(name: string): string {
  return name.replace(/~/g, '~0').replace(/\//g, '~1');
}
