import { z } from 'zod';

/**
 * Text as every part of Spool can keep it, the same live as replayed: a lone surrogate (which UTF-8,
 * and so PostgreSQL, cannot hold) and NUL (which PostgreSQL refuses) become U+FFFD. Applied once,
 * where text enters: a user's message, and each event a generator produces.
 */
export function wellFormedText(text: string): string {
  const formed = text.toWellFormed();
  return formed.includes('\0') ? formed.replaceAll('\0', '\uFFFD') : formed;
}

/** A string schema that normalises what it parses with `wellFormedText`. */
export const wellFormedString = () => z.string().overwrite(wellFormedText);
