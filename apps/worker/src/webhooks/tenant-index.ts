// Which of one tenant's webhooks an event type goes to, at a cost that depends on the type, not on
// how many webhooks the tenant has: exact types in a map, `prefix.*` patterns by their prefix (each
// prefix of the type is looked up once), `*` apart.

/** The webhooks under one key: most keys have one, kept as its id; a set from the second on. */
type Ids = string | Set<string>;

function added(ids: Ids | undefined, id: string): Ids {
  if (ids === undefined || ids === id) return id;
  if (typeof ids === 'string') return new Set([ids, id]);
  return ids.add(id);
}

/** What is left once `id` is taken out; undefined when nothing is. */
function removed(ids: Ids | undefined, id: string): Ids | undefined {
  if (ids === undefined || ids === id) return undefined;
  if (typeof ids === 'string') return ids;
  ids.delete(id);
  return ids.size === 1 ? (ids.values().next().value as string) : ids;
}

function addAll(found: Set<string>, ids: Ids | undefined): void {
  if (typeof ids === 'string') found.add(ids);
  else if (ids) for (const id of ids) found.add(id);
}

// Most tenants have a few webhooks: their maps are made only once something goes in them.
export class TenantIndex {
  private exact: Map<string, Ids> | undefined;
  /** `order.` → the webhooks subscribed to `order.*`. */
  private prefixes: Map<string, Ids> | undefined;
  private everything: Ids | undefined;

  add(id: string, patterns: readonly string[]): void {
    for (const pattern of patterns) {
      const [kind, key] = slot(pattern);
      if (kind === 'everything') this.everything = added(this.everything, id);
      else {
        const map = kind === 'prefix' ? (this.prefixes ??= new Map()) : (this.exact ??= new Map());
        map.set(key, added(map.get(key), id));
      }
    }
  }

  remove(id: string, patterns: readonly string[]): void {
    for (const pattern of patterns) {
      const [kind, key] = slot(pattern);
      if (kind === 'everything') {
        this.everything = removed(this.everything, id);
        continue;
      }
      const map = kind === 'prefix' ? this.prefixes : this.exact;
      const left = removed(map?.get(key), id);
      if (left === undefined) map?.delete(key);
      else map?.set(key, left);
    }
  }

  /**
   * The webhooks subscribed to `type`, each once. Herald's own operational events go only to
   * webhooks that name them, not to `*` (an endpoint taking every business event has not asked for
   * Herald's alarms).
   */
  match(type: string, operational: boolean): Set<string> {
    const found = new Set<string>();
    addAll(found, this.exact?.get(type));
    if (this.prefixes) {
      for (let dot = type.indexOf('.'); dot >= 0; dot = type.indexOf('.', dot + 1)) addAll(found, this.prefixes.get(type.slice(0, dot + 1)));
    }
    if (!operational) addAll(found, this.everything);
    return found;
  }
}

/** Where a pattern's webhooks are kept, and under which key. */
function slot(pattern: string): ['everything' | 'prefix' | 'exact', string] {
  if (pattern === '*') return ['everything', ''];
  if (pattern.endsWith('.*')) return ['prefix', pattern.slice(0, -1)];
  return ['exact', pattern];
}
