// The API reference (`npm run docs`): docs/api.md, one section per package entry, from the JSDoc of
// what each entry exports: classes with their public members, functions with their signatures,
// interfaces and option types with every field. `node scripts/api-docs.mjs --check` writes nothing
// and lists the exported symbols (and their members and option fields) that have no JSDoc.
//
// Why not TypeDoc: TypeDoc 0.28 needs TypeScript's JavaScript API, as a peer dependency of 5.0 to 6.0,
// and this repository compiles with TypeScript 7, whose package has no such API (its compiler is a
// native binary). So the reference is read with TypeScript 6's API (the `typescript-6` dev
// dependency, an npm alias: no peer conflict with TypeScript 7), in the ~150 lines below.
//
// Plain JavaScript, run by node.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ts = createRequire(import.meta.url)('typescript-6');
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The package's code entries: name -> source file (package.json's "miniconv-source" targets, Node side). */
export function entries() {
  const pkg = JSON.parse(ts.sys.readFile(join(root, 'package.json')));
  const out = {};
  for (const [key, target] of Object.entries(pkg.exports)) {
    if (key === './package.json' || key.startsWith('./wasm/')) continue;
    const source = target['miniconv-source'];
    out[key === '.' ? 'miniconv' : `miniconv/${key.slice(2)}`] = typeof source === 'string' ? source : source.default;
  }
  return out;
}

function program() {
  const files = Object.values(entries()).map((f) => join(root, f));
  return ts.createProgram(files, {
    target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler,
    allowImportingTsExtensions: true, noEmit: true, strict: true, skipLibCheck: true, types: ['node'], customConditions: ['miniconv-source'],
  });
}

const docOf = (checker, symbol) => ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim();
const declOf = (symbol) => symbol.valueDeclaration ?? symbol.declarations?.[0];
const isPrivate = (decl) => !!decl && (ts.getCombinedModifierFlags(decl) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) !== 0;
const hidden = (name) => name.startsWith('_') || name.startsWith('#');

/** Declared only in TypeScript's own lib files (lib.es5.d.ts ...), e.g. ArrayLike's length. */
const libDir = dirname(ts.getDefaultLibFilePath({}));
const fromLib = (symbol) => (symbol.declarations ?? []).length > 0 && symbol.declarations.every((d) => dirname(d.getSourceFile().fileName) === libDir);

/** The members worth documenting: a class's public instance and static members, an interface's or object type's fields. */
function membersOf(checker, symbol) {
  const decl = declOf(symbol);
  if (!decl) return [];
  const out = [];
  if (ts.isClassDeclaration(decl)) {
    for (const m of decl.members) {
      if (!m.name || isPrivate(m) || ts.isConstructorDeclaration(m)) continue;
      const s = checker.getSymbolAtLocation(m.name);
      if (s && !hidden(s.name) && !out.includes(s)) out.push(s);
    }
    const ctor = decl.members.find(ts.isConstructorDeclaration);
    if (ctor) for (const p of ctor.parameters) if (ts.isParameterPropertyDeclaration(p, ctor) && !isPrivate(p)) out.push(checker.getSymbolAtLocation(p.name));
  } else if (ts.isInterfaceDeclaration(decl) || ts.isTypeAliasDeclaration(decl)) {
    const type = checker.getDeclaredTypeOfSymbol(symbol);
    // A tuple's positions and length, and members declared only in TypeScript's own lib (ArrayLike's
    // length), are not the package's to document: the type's own doc says what they hold.
    if (ts.isInterfaceDeclaration(decl) || ((type.flags & ts.TypeFlags.Object) !== 0 && !checker.isTupleType(type))) {
      for (const p of checker.getPropertiesOfType(type)) if (!hidden(p.name) && !fromLib(p)) out.push(p);
    }
  }
  return out;
}

/** Every exported symbol of every entry, with its doc and its members' docs. */
export function collect() {
  const prog = program();
  const checker = prog.getTypeChecker();
  const result = [];
  for (const [entry, file] of Object.entries(entries())) {
    const source = prog.getSourceFile(join(root, file));
    const moduleSymbol = checker.getSymbolAtLocation(source);
    const symbols = [];
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const decl = declOf(symbol);
      const members = membersOf(checker, symbol).map((m) => ({ name: m.name, doc: docOf(checker, m), type: typeText(checker, m) }));
      symbols.push({
        name: exported.name, kind: kindOf(symbol), doc: docOf(checker, symbol), members,
        from: decl ? relative(root, decl.getSourceFile().fileName) : '', signature: signatureOf(checker, symbol),
      });
    }
    result.push({ entry, file, symbols: symbols.sort((a, b) => a.name.localeCompare(b.name)) });
  }
  return result;
}

function kindOf(symbol) {
  const f = symbol.flags;
  if (f & ts.SymbolFlags.Class) return 'class';
  if (f & ts.SymbolFlags.Function) return 'function';
  if (f & ts.SymbolFlags.Interface) return 'interface';
  if (f & ts.SymbolFlags.TypeAlias) return 'type';
  if (f & ts.SymbolFlags.Enum) return 'enum';
  return 'const';
}

function typeText(checker, symbol) {
  const decl = declOf(symbol);
  if (!decl) return '';
  return checker.typeToString(checker.getTypeOfSymbolAtLocation(symbol, decl), undefined, ts.TypeFormatFlags.NoTruncation);
}

function signatureOf(checker, symbol) {
  const decl = declOf(symbol);
  if (!decl) return '';
  if (symbol.flags & ts.SymbolFlags.Function) {
    return checker.getSignaturesOfType(checker.getTypeOfSymbolAtLocation(symbol, decl), ts.SignatureKind.Call).map((s) => `${symbol.name}${checker.signatureToString(s)}`).join('\n');
  }
  if (symbol.flags & ts.SymbolFlags.Class) {
    const ctor = checker.getTypeOfSymbolAtLocation(symbol, decl);
    return checker.getSignaturesOfType(ctor, ts.SignatureKind.Construct).map((s) => `new ${symbol.name}${checker.signatureToString(s).replace(/: \w+$/, '')}`).join('\n');
  }
  if (symbol.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias)) return '';
  return `${symbol.name}: ${typeText(checker, symbol)}`;
}

/** `entry > Symbol` and `entry > Symbol.member` for everything that has no JSDoc. */
export function undocumented(collected = collect()) {
  const out = [];
  for (const { entry, symbols } of collected) {
    for (const s of symbols) {
      if (!s.doc) out.push(`${entry} > ${s.name}`);
      for (const m of s.members) if (!m.doc) out.push(`${entry} > ${s.name}.${m.name}`);
    }
  }
  return out;
}

function markdown(collected) {
  const lines = ['# miniconv API reference', '', 'Generated by `npm run docs` (scripts/api-docs.mjs) from the JSDoc in the sources; do not edit.', ''];
  for (const { entry, symbols } of collected) lines.push(`- [\`${entry}\`](#${entry.replace(/[^a-z0-9]/g, '')})`);
  for (const { entry, file, symbols } of collected) {
    lines.push('', `## ${entry}`, '', `Source: [${file}](../${file.replace(/^\.\//, '')})`, '');
    for (const s of symbols) {
      lines.push(`### ${s.name} (${s.kind})`, '');
      if (s.signature) lines.push('```ts', s.signature, '```', '');
      lines.push(s.doc || '_No documentation yet._', '');
      if (s.members.length) {
        lines.push('| member | type | description |', '| --- | --- | --- |');
        for (const m of s.members) lines.push(`| \`${m.name}\` | \`${m.type.replace(/\|/g, '\\|').replace(/\n/g, ' ')}\` | ${(m.doc || '').replace(/\|/g, '\\|').replace(/\n+/g, ' ')} |`);
        lines.push('');
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const collected = collect();
  const missing = undocumented(collected);
  if (process.argv.includes('--check')) {
    for (const m of missing) console.log(m);
    console.log(`${missing.length} exported symbols, members and option fields without JSDoc`);
    if (missing.length > 0) process.exitCode = 1; // every export is documented (test/api-docs.test.ts): a new gap fails
  } else {
    const out = join(root, 'docs', 'api.md');
    writeFileSync(out, markdown(collected));
    const total = collected.reduce((n, e) => n + e.symbols.length, 0);
    console.log(`docs: ${relative(root, out)} written (${collected.length} entries, ${total} exports; ${missing.length} symbols, members and fields without JSDoc)`);
  }
}
