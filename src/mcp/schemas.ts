/**
 * Shared zod pieces of the tool contracts. Every string an agent can send is bounded and
 * patterned: an account id uses the project's id alphabet (core/model.ts), so globs (`*`),
 * selectors (`tag:bank`), paths (`../x`), upper case and look-alike letters never reach the app.
 */
import * as z from 'zod/v4';
import { ID_PATTERN, ID_RULE, MAX_TEXT, OTP_TYPES, TAG_PATTERN, TAG_RULE } from '../core/model.js';
import { ACTIONS } from '../core/vocab.js';

export const accountId = z
  .string()
  .min(1)
  .max(64)
  .regex(ID_PATTERN, { error: `an account id: ${ID_RULE}` })
  .describe(`An account id exactly as list_accounts shows it (${ID_RULE}). No globs, tags or patterns.`);

export const tagName = z
  .string()
  .min(1)
  .max(32)
  .regex(TAG_PATTERN, { error: `a tag: ${TAG_RULE}` })
  .describe(`A tag (${TAG_RULE}).`);

export const action = z.enum(ACTIONS);
export const otpType = z.enum(OTP_TYPES);
export const text = z.string().max(MAX_TEXT);
export const isoTime = z.string().max(40);

/** The person's answer to an approval question (elicitation, form mode). */
export const Confirm = z.object({
  confirm: z.boolean().meta({ title: 'Allow', description: 'Allow this one request' }),
});
