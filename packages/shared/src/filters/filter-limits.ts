/** How large a payload filter may be: enough for any real rule, small enough to evaluate in microseconds. */
export const FILTER_LIMITS = {
  /** Nesting of objects and arrays in the filter document. */
  maxDepth: 8,
  /** Field names and operators, counted over the whole document. */
  maxNodes: 128,
  /** The document as JSON, in bytes (UTF-8). */
  maxBytes: 8192,
  /** Values in one `$in`, `$nin` or `$all` list. */
  maxListLength: 256,
} as const;

/** The fields of the envelope a filter sees: `{ id, type, tenant, timestamp, data }`. */
export const ENVELOPE_FIELDS = ['id', 'type', 'tenant', 'timestamp', 'data'] as const;
