import { z } from 'zod';
import { ENVELOPE_FIELDS, FILTER_LIMITS } from './filter-limits';
import { parseFilter } from './parse-filter';

/** A filter document as JSON. */
export type FilterDocument = Record<string, unknown>;

/** A filter document, refused with the path of each problem (`data.amount.$gte: must be a number or a string`). */
export const filterDocumentSchema = z
  .record(z.string(), z.unknown())
  .superRefine((document, ctx) => {
    const parsed = parseFilter(document);
    if (parsed.ok) return;
    for (const issue of parsed.issues) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  })
  // Not a named component: the OpenAPI generator cannot make a named one nullable (PATCH's null).
  .meta({
    description: `A match document over the envelope { ${ENVELOPE_FIELDS.join(', ')} }, such as {"data": {"amount": {"$gte": 100}}}. Operators: implicit equality, $eq $neq $gt $gte $lt $lte $in $nin $all $contains $startsWith $endsWith $exist, and $and $or $not. A condition on a missing field fails (except {"$exist": false}); types are never coerced; strings compare by code point; a condition against an array holds when it holds for any element. At most ${FILTER_LIMITS.maxDepth} levels deep, ${FILTER_LIMITS.maxNodes} field names and operators, ${FILTER_LIMITS.maxBytes} bytes, ${FILTER_LIMITS.maxListLength} values in a list.`,
    example: { data: { amount: { $gte: 100 }, status: { $in: ['paid', 'refunded'] } } },
  });
