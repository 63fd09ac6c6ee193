/**
 * The README names only what exists: every identifier it imports from the package, and every
 * function it calls in prose, is exported by an entry point (or is a method of what those
 * exports return); and every ```ts block type-checks against the built package, as a user who
 * copies it would compile it. Runs against dist/ (`npm test` builds first).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const readme = readFileSync(`${root}README.md`, 'utf8');
const ENTRY_POINTS = ['empowerid-express', 'empowerid-express/testing', 'empowerid-express/redis'] as const;

/** The fenced code blocks of a language, with the README line each starts on. */
function blocks(lang: string): { line: number; code: string }[] {
  const out: { line: number; code: string }[] = [];
  const lines = readme.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== '```' + lang) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end] !== '```') end++;
    out.push({ line: start + 1, code: lines.slice(start, end).join('\n') });
    i = end;
  }
  return out;
}

/** `{ a, type B, c as d }` imported from an entry point in the README's code blocks. */
function importedNames(): { name: string; from: string }[] {
  const out: { name: string; from: string }[] = [];
  for (const { code } of [...blocks('ts'), ...blocks('js')]) {
    for (const m of code.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*'(empowerid-express(?:\/testing|\/redis)?)'/g)) {
      for (const part of (m[1] as string).split(',')) {
        const name = part
          .trim()
          .replace(/^type\s+/, '')
          .split(/\s+as\s+/)[0]
          ?.trim();
        if (name) out.push({ name, from: m[2] as string });
      }
    }
  }
  return out;
}

// Free names the README's snippets assume from the surrounding text: declared once here.
const PRELUDE = `import type { Express, RequestHandler } from 'express';
import type { EmpowerIDClient } from 'empowerid-express';
declare global {
  /** "an Express app" */
  const app: Express;
  /** "your route handler" */
  const handler: RequestHandler;
  /** the client created in "Server-side grants" */
  const eid: EmpowerIDClient;
  /** "a JWT made by someone else" */
  const thirdPartyJwt: string;
  /** "the caller whose access token you received" */
  const incomingAccessToken: string;
  /** "your login page" */
  function showLoginError(): undefined;
}
export {};
`;

function program(files: Record<string, string>): ts.Program {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: ['node'],
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (f) => f in files || fileExists.call(host, f);
  host.readFile = (f) => files[f] ?? readFile.call(host, f);
  host.getSourceFile = (f, lang, ...rest) =>
    f in files ? ts.createSourceFile(f, files[f] as string, lang, true) : getSourceFile.call(host, f, lang, ...rest);
  return ts.createProgram(Object.keys(files), options, host);
}

const virtual = (name: string) => `${root}test/package/${name}`;

describe('the README', () => {
  it('imports only identifiers the entry points export (values at run time, types in the .d.ts)', async () => {
    const names = importedNames();
    expect(names.length).toBeGreaterThan(10);
    const probe = virtual('__readme_exports.ts');
    const p = program({ [probe]: ENTRY_POINTS.map((e, i) => `import * as m${i} from '${e}';\nexport { m${i} };`).join('\n') });
    const checker = p.getTypeChecker();
    const source = p.getSourceFile(probe) as ts.SourceFile;
    const exported = new Map<string, Set<string>>();
    ENTRY_POINTS.forEach((entry, i) => {
      const decl = source.statements[i * 2] as ts.ImportDeclaration;
      const symbol = checker.getSymbolAtLocation(decl.moduleSpecifier);
      expect(symbol, `${entry} resolves to the built .d.ts`).toBeDefined();
      exported.set(entry, new Set(checker.getExportsOfModule(symbol as ts.Symbol).map((s) => s.name)));
    });
    const runtime = new Map<string, Record<string, unknown>>();
    for (const entry of ENTRY_POINTS) runtime.set(entry, (await import(entry)) as Record<string, unknown>);
    const missing = names.filter(({ name, from }) => !exported.get(from)?.has(name));
    expect(missing).toEqual([]);
    // A value the README imports is there at run time too (not only as a declared type).
    const values = names.filter(({ name }) => /^[a-z]|^[A-Z][A-Z_]+$|Error$|Client$/.test(name));
    for (const { name, from } of values) expect(runtime.get(from)?.[name], `${name} from ${from}`).toBeDefined();
  });

  it('calls in prose only functions that exist: exports, client methods, or the few named here', async () => {
    // Through variables: the built package does not exist when `tsc --noEmit` runs on a fresh clone.
    const [main, sub, scale]: string[] = ['empowerid-express', 'empowerid-express/testing', 'empowerid-express/redis'];
    const lib = (await import(main as string)) as Record<string, unknown>;
    const testing = (await import(sub as string)) as Record<string, unknown>;
    const redis = (await import(scale as string)) as Record<string, unknown>;
    const client = (lib.createClient as (o: object) => object)({ server: 'https://eid.example.com', clientId: 'c', clientSecret: 's' });
    const reuse = (lib.clientCredentialsCache as (c: object) => object)(client);
    const members = (o: object) => Object.getOwnPropertyNames(Object.getPrototypeOf(o));
    // Methods of every exported class (TokenVerifier.verify, …) and of what the factories return.
    const classMethods = [...Object.values(lib), ...Object.values(testing)].flatMap((v) =>
      typeof v === 'function' && v.prototype ? Object.getOwnPropertyNames(v.prototype) : [],
    );
    const known = new Set([
      ...Object.keys(lib),
      ...Object.keys(testing),
      ...Object.keys(redis),
      ...classMethods,
      ...members(client),
      ...members(reuse),
    ]);
    const elsewhere: Record<string, string> = {
      base64Encode: 'the docs’ formula',
      base64: 'the docs’ formula',
      ClientSettings: 'the vendor’s .NET sample, mapped in its own section',
      BuildAuthorizationRequestPacket: 'the vendor’s .NET sample',
      GetAccessToken: 'the vendor’s .NET sample',
      GetSigningCertificate: 'the vendor’s .NET sample',
      require: 'CommonJS',
      isAuthenticated: 'req.empowerid method, typed in EmpowerIDRequestContext',
      fetchProfile: 'req.empowerid method, typed in EmpowerIDRequestContext',
      login: 'req.empowerid method, typed in EmpowerIDRequestContext',
      logout: 'req.empowerid method, typed in EmpowerIDRequestContext',
    };
    const prose = readme
      .split(/^```[^\n]*\n[\s\S]*?^```$/m)
      .join('\n')
      .matchAll(/`([A-Za-z_]\w*)\(/g);
    const unknown = [...new Set([...prose].map((m) => m[1] as string))].filter((n) => !known.has(n) && !(n in elsewhere));
    expect(unknown).toEqual([]);
  });

  it('every ```ts block type-checks against the built package', () => {
    const files: Record<string, string> = { [virtual('__readme_prelude.ts')]: PRELUDE };
    const all = blocks('ts');
    expect(all.length).toBeGreaterThan(10);
    // Each block is its own module (top-level await, no clashes between blocks).
    for (const { line, code } of all) files[virtual(`__readme_line_${line}.ts`)] = `${code}\nexport {};\n`;
    const p = program(files);
    const problems = ts
      .getPreEmitDiagnostics(p)
      .filter((d) => d.file === undefined || d.file.fileName in files)
      .map((d) => {
        const where = d.file
          ? `${d.file.fileName.replace(/.*__readme_line_/, 'README line ')}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line}`
          : '';
        return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
      });
    expect(problems).toEqual([]);
  }, 60_000);
});
