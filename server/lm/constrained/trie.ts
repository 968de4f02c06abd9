// Ports: the token-id prefix trees of acestep/constrained_decoding/trie_builders.py
// (`_build_numeric_prefix_tree`, `_build_keyscale_prefix_tree`, `_build_language_prefix_tree`): for each
// allowed value, tokenize "{field}: {value}", drop the tokens of "{field}:", insert the rest; a complete
// value additionally allows `\n`. Nodes replace upstream's dict of tuple → set.

export class TrieNode {
  readonly children = new Map<number, TrieNode>();
  terminal = false;
  private allowedCache: Int32Array | null = null;
  /** Next-token ids allowed here: children, plus `newlineId` when a value is complete. */
  allowed(newlineId: number): Int32Array {
    if (!this.allowedCache) {
      const ids = [...this.children.keys()];
      if (this.terminal) ids.push(newlineId);
      this.allowedCache = Int32Array.from(ids);
    }
    return this.allowedCache;
  }
}

export class TokenTrie {
  readonly root = new TrieNode();
  readonly values: string[] = [];
  insert(tokens: readonly number[], value: string): void {
    let n = this.root;
    for (const t of tokens) {
      let c = n.children.get(t);
      if (!c) n.children.set(t, (c = new TrieNode()));
      n = c;
    }
    n.terminal = true;
    this.values.push(value);
  }
}
