/**
 * YAML merge keys (`<<: *anchor`) in the inventory, as YAML 1.1 defines them and the yaml
 * library reads them with `merge: true`: a mapping's own keys win over merged ones, and of
 * several sources the first that has a key gives it. What the library leaves to the caller:
 * a merge source that is no mapping, named where it stands, and where a merged value was
 * written, so a problem with it points at its line.
 */
import { Document, isAlias, isMap, isPair, isScalar, isSeq, Node, Pair, visit, YAMLMap } from "yaml";

/** The key the yaml library gives a `<<` pair when merge keys are on. */
function isMergeKey(key: unknown): boolean {
  return isScalar(key) && typeof key.value === "symbol" && key.value.description === "<<";
}

/** A mapping's key as a path step: `<<` for a merge key. */
export function keyName(key: unknown): string {
  const value = isScalar(key) ? key.value : key;
  return typeof value === "symbol" ? (value.description ?? "") : String(value);
}

/** A node with its alias, if it is one, resolved; undefined for an alias with no anchor before it. */
function resolved(doc: Document.Parsed, node: unknown): unknown {
  return isAlias(node) ? node.resolve(doc) : node;
}

/** The mappings a merge pair's value names, in order (the first wins), or what is not one. */
function mergeSources(doc: Document.Parsed, value: unknown): { maps: YAMLMap[]; wrong?: { node: unknown; what: string } } {
  const items = isSeq(value) ? value.items : [value];
  const maps: YAMLMap[] = [];
  for (const item of items) {
    const source = resolved(doc, item);
    if (isMap(source)) {
      maps.push(source);
      continue;
    }
    if (isAlias(item) && source === undefined) return { maps, wrong: { node: item, what: `an alias with no anchor before it (*${item.source})` } };
    return { maps, wrong: { node: item, what: isSeq(source) ? "a list" : isScalar(source) ? JSON.stringify(source.value) ?? "null" : "nothing" } };
  }
  return { maps };
}

/**
 * Every merge key whose value is not a mapping, an alias of one, or a list of them, or that
 * merges a mapping it stands in (which would merge itself without end): where it stands, and
 * what is wrong.
 */
export function mergeSourceProblems(doc: Document.Parsed, pathOf: (chain: readonly unknown[]) => (string | number)[]): Array<{ node: Node; path: (string | number)[]; message: string }> {
  const problems: Array<{ node: Node; path: (string | number)[]; message: string }> = [];
  visit(doc, {
    Pair(_key, pair, ancestors) {
      if (!isMergeKey(pair.key)) return undefined;
      const { maps, wrong } = mergeSources(doc, pair.value);
      const path = [...pathOf([...ancestors, pair]), "<<"];
      const around = maps.findIndex((map) => ancestors.includes(map));
      if (wrong === undefined && around >= 0) {
        const item = isSeq(pair.value) ? pair.value.items[around] : pair.value;
        const node = (isAlias(item) ? item : pair.key) as Node;
        problems.push({ node, path, message: `a merge key (<<) cannot merge a mapping it stands in${isAlias(item) ? ` (*${item.source})` : ""}: it would merge itself without end` });
        return undefined;
      }
      if (wrong === undefined) return undefined;
      const node = (isAlias(wrong.node) || isScalar(wrong.node) || isMap(wrong.node) || isSeq(wrong.node) ? wrong.node : pair.key) as Node;
      problems.push({ node, path, message: `a merge key (<<) takes a mapping, an alias of one, or a list of them, not ${wrong.what}` });
      return undefined;
    },
  });
  return problems;
}

/** The pair that gives `key` in `map`: its own, or else the first merge source's that has it. */
export function pairFor(doc: Document.Parsed, map: YAMLMap, key: string | number, seen = new Set<YAMLMap>()): Pair | undefined {
  if (seen.has(map)) return undefined;
  seen.add(map);
  const own = map.items.find((item) => isPair(item) && !isMergeKey(item.key) && keyName(item.key) === String(key));
  if (own) return own;
  for (const item of map.items) {
    if (!isMergeKey(item.key)) continue;
    for (const source of mergeSources(doc, item.value).maps) {
      const found = pairFor(doc, source, key, seen);
      if (found) return found;
    }
  }
  return undefined;
}

/** The node at `path` as the data reads it: through aliases and merge keys; undefined where it is not written. */
export function nodeAt(doc: Document.Parsed, path: readonly (string | number)[]): Node | undefined {
  let node: unknown = doc.contents;
  for (const step of path) {
    node = resolved(doc, node);
    if (isMap(node)) node = pairFor(doc, node, step)?.value;
    else if (isSeq(node) && typeof step === "number") node = node.items[step];
    else return undefined;
  }
  return (node ?? undefined) as Node | undefined;
}

/** The mapping at `path` (through aliases and merge keys), if a mapping is there. */
export function mappingAt(doc: Document.Parsed, path: readonly (string | number)[]): YAMLMap | undefined {
  const node = resolved(doc, nodeAt(doc, path));
  return isMap(node) ? node : undefined;
}
