// Reports import cycles between folders (a folder is a top-level folder such as nodes/ or app/, or one level
// below server/, e.g. server/engine). Counts the imports that exist at run time: `import type` / `export type`
// statements are left out, and so are test files (tests sit above everything they test).
// Usage: npx tsx scripts/check-cycles.ts   (exit 1 and the cycles when there are any)
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const SOURCE_ROOTS = ["app", "nodes", "server", "bin", "scripts", "bench"];
const EXTENSIONS = [".ts", ".tsx", ".mjs", ".js"];

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name.startsWith(".")) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (EXTENSIONS.some((e) => name.endsWith(e)) && !/\.(d|test)\.ts$/.test(name)) out.push(p);
  }
  return out;
}

/** The folder a file belongs to for this check: `server/<sub>` below server/, else the top-level folder. */
export function folderOf(relPath: string): string {
  const parts = relPath.split("/");
  if (parts[0] === "server" && parts.length > 2) return `server/${parts[1]}`;
  return parts.length > 1 ? parts[0] : ".";
}

const IMPORT_RE =
  /(?:^|[\s;])(?:import|export)\s(?!type\s)(?:[^'"`;]*?\sfrom\s)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;
const ANY_IMPORT_RE =
  /(?:^|[\s;])(?:import|export)\s(?:[^'"`;]*?\sfrom\s)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

/** Options of the import scan: `types` also counts `import type` / `export type` (dependency direction checks). */
export interface ImportScanOptions {
  types?: boolean;
}

/** Relative run-time import specifiers of a source text (static, re-exports, dynamic imports with a literal). */
export function importSpecifiers(text: string, o: ImportScanOptions = {}): string[] {
  const noComments = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const out: string[] = [];
  for (const m of noComments.matchAll(o.types ? ANY_IMPORT_RE : IMPORT_RE)) {
    const spec = m[1] ?? m[2];
    if (spec.startsWith(".")) out.push(spec);
  }
  return out;
}

function resolveImport(fromFile: string, spec: string): string | null {
  const base = resolve(dirname(fromFile), spec);
  for (const c of [base, ...EXTENSIONS.map((e) => base + e), ...EXTENSIONS.map((e) => join(base, `index${e}`))])
    if (existsSync(c) && statSync(c).isFile()) return c;
  return null;
}

/** Folder → folders it imports from, with one example import per edge. */
export function folderGraph(root = ROOT, o: ImportScanOptions = {}): Map<string, Map<string, string>> {
  const graph = new Map<string, Map<string, string>>();
  for (const file of SOURCE_ROOTS.flatMap((r) => sourceFiles(join(root, r)))) {
    const from = folderOf(relative(root, file).split("\\").join("/"));
    for (const spec of importSpecifiers(readFileSync(file, "utf8"), o)) {
      const target = resolveImport(file, spec);
      if (!target) continue;
      const to = folderOf(relative(root, target).split("\\").join("/"));
      if (to === from) continue;
      const edges = graph.get(from) ?? new Map<string, string>();
      if (!edges.has(to)) edges.set(to, `${relative(root, file)} → ${spec}`);
      graph.set(from, edges);
    }
  }
  return graph;
}

/** Strongly connected groups of more than one folder (Tarjan), each a set of folders that import each other. */
export function folderCycles(graph: Map<string, Map<string, string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1) groups.push(group.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return groups;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const graph = folderGraph();
  const cycles = folderCycles(graph);
  if (cycles.length === 0) {
    console.log(`no import cycles between folders (${graph.size} folders)`);
  } else {
    for (const group of cycles) {
      console.log(`cycle between ${group.join(", ")}:`);
      for (const a of group)
        for (const [b, example] of graph.get(a) ?? [])
          if (group.includes(b)) console.log(`  ${a} → ${b}  (${example})`);
    }
    process.exitCode = 1;
  }
}
