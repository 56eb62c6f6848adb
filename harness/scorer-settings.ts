import { z } from 'zod';
import type { Scorer } from '../methods/scorer.ts';
import { InputError } from './errors.ts';

/** The setting names a scorer has (its zod object's keys). */
export function scorerSettingNames(scorer: Scorer<any>): string[] {
  const schema = scorer.settings as unknown;
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

/**
 * A scorer's resolved settings (its defaults filled in). Strict: an unknown setting is a one-line
 * InputError naming the scorer and its known settings, as an unknown training setting is.
 */
export function parseScorerSettings(scorer: Scorer<any>, raw: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const known = scorerSettingNames(scorer);
  const unknown = Object.keys(raw).filter((k) => !known.includes(k));
  if (unknown.length) {
    throw new InputError(`scorer ${scorer.id} has no setting ${unknown.join(', ')}; known: ${known.length ? known.join(', ') : '(none)'}`);
  }
  const parsed = scorer.settings.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InputError(`settings of scorer ${scorer.id}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data as Record<string, unknown>;
}

