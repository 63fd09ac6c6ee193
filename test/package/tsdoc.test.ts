import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');

/** The source file behind each code entry of package.json "exports" (dist/x.js → src/x.ts). */
function entryPoints(): string[] {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    exports: Record<string, string | { default: string }>;
  };
  return Object.values(pkg.exports)
    .map((target) => (typeof target === 'string' ? target : target.default))
    .filter((target) => target.startsWith('./dist/') && target.endsWith('.js'))
    .map((target) => path.join(root, target.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts')));
}

function isCallable(decl: ts.Declaration): boolean {
  if (ts.isFunctionDeclaration(decl) || ts.isClassDeclaration(decl)) return true;
  if (ts.isVariableDeclaration(decl) && decl.initializer) {
    const init = decl.initializer;
    return ts.isArrowFunction(init) || ts.isFunctionExpression(init) || ts.isClassExpression(init);
  }
  return false;
}

/** Every export of `entries` that lacks a TSDoc summary, or (functions and classes) an `@example`. */
function undocumentedExports(program: ts.Program, entries: string[]): string[] {
  const checker = program.getTypeChecker();
  const problems: string[] = [];
  for (const entry of entries) {
    const source = program.getSourceFile(entry);
    if (!source) throw new Error(`entry point not in the program: ${entry}`);
    const moduleSymbol = checker.getSymbolAtLocation(source);
    if (!moduleSymbol) throw new Error(`entry point is not a module: ${entry}`);
    const label = path.relative(root, entry);
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const name = `${label}: ${exported.getName()}`;
      const summary = ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim();
      if (!summary) problems.push(`${name} has no TSDoc summary`);
      const declarations = symbol.getDeclarations() ?? [];
      if (declarations.some(isCallable) && !symbol.getJsDocTags(checker).some((tag) => tag.name === 'example')) {
        problems.push(`${name} has no @example`);
      }
    }
  }
  return problems;
}

describe('TSDoc on the public API', () => {
  it('finds the entry points of package.json "exports"', () => {
    const entries = entryPoints().map((entry) => path.relative(root, entry));
    expect(entries).toEqual(expect.arrayContaining(['src/index.ts', 'src/testing/index.ts']));
  });

  it('the typedoc reference covers every entry point', () => {
    const typedoc = JSON.parse(readFileSync(path.join(root, 'typedoc.json'), 'utf8')) as { entryPoints: string[] };
    const expected = entryPoints().map((entry) => path.relative(root, entry));
    expect([...typedoc.entryPoints].sort()).toEqual([...expected].sort());
  });

  it('every export has a summary, and every exported function and class an @example', () => {
    const entries = entryPoints();
    const program = ts.createProgram(entries, {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      strict: true,
      skipLibCheck: true,
      noEmit: true,
      types: ['node'],
    });
    expect(undocumentedExports(program, entries)).toEqual([]);
  }, 60_000);

  it('the check catches an undocumented export (so a new one fails this file)', () => {
    const file = path.join(root, 'virtual-entry.ts');
    const text = [
      '/** Documented, with an example.',
      ' * @example',
      ' * ok();',
      ' */',
      'export function ok(): void {}',
      '/** Documented but no example. */',
      'export function noExample(): void {}',
      'export class Bare {}',
      'export type Alias = string;',
      '/** A documented constant. */',
      'export const VALUE = 1;',
    ].join('\n');
    const host = ts.createCompilerHost({ noEmit: true });
    const readFile = host.readFile.bind(host);
    host.readFile = (name) => (path.resolve(name) === file ? text : readFile(name));
    const fileExists = host.fileExists.bind(host);
    host.fileExists = (name) => path.resolve(name) === file || fileExists(name);
    const program = ts.createProgram([file], { noEmit: true, types: [] }, host);
    expect(undocumentedExports(program, [file])).toEqual([
      'virtual-entry.ts: noExample has no @example',
      'virtual-entry.ts: Bare has no TSDoc summary',
      'virtual-entry.ts: Bare has no @example',
      'virtual-entry.ts: Alias has no TSDoc summary',
    ]);
  });
});
