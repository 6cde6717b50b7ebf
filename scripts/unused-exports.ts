// Lists exports of src/ that no other file imports (issue 11: "no unused exports"). A name exported but used only
// in its own file should lose its `export`; a name used nowhere should go. Tests, strategies and scripts count as
// users (they are entry points, as knip treats them). Exit 1 when there are any.
import path from 'node:path';
import ts from 'typescript';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const configPath = path.join(root, 'tsconfig.json');
const parsed = ts.getParsedCommandLineOfConfigFile(
  configPath,
  {},
  { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined },
);
if (!parsed) throw new Error('cannot read tsconfig.json');
const program = ts.createProgram(parsed.fileNames, parsed.options);
const checker = program.getTypeChecker();
const own = program
  .getSourceFiles()
  .filter((f) => !f.isDeclarationFile && f.fileName.startsWith(root) && !f.fileName.includes('node_modules'));

/** The symbol an alias finally names (through re-exports). */
function target(symbol: ts.Symbol): ts.Symbol {
  return symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
}

const used = new Set<ts.Symbol>();
/** Modules imported whole (`import * as x`, `import('…')` objects): every export counts as used. */
const wholeModules = new Set<ts.Symbol>();

function markModule(specifier: ts.Expression): void {
  const sym = checker.getSymbolAtLocation(specifier);
  if (sym) wholeModules.add(sym);
}

for (const file of own) {
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) {
      const clause = ts.isImportDeclaration(node) ? node.importClause : undefined;
      if (clause?.namedBindings && ts.isNamespaceImport(clause.namedBindings) && node.moduleSpecifier)
        markModule(node.moduleSpecifier);
      if (ts.isExportDeclaration(node) && !node.exportClause && node.moduleSpecifier) markModule(node.moduleSpecifier);
      const named =
        clause?.namedBindings && ts.isNamedImports(clause.namedBindings)
          ? clause.namedBindings.elements
          : ts.isExportDeclaration(node) && node.exportClause && ts.isNamedExports(node.exportClause)
            ? node.exportClause.elements
            : [];
      for (const el of named) {
        const sym = checker.getSymbolAtLocation(el.name);
        if (sym) used.add(target(sym));
      }
      if (clause?.name) {
        const sym = checker.getSymbolAtLocation(clause.name);
        if (sym) used.add(target(sym));
      }
    }
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0])
      markModule(node.arguments[0]);
    if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal))
      markModule(node.argument.literal);
    ts.forEachChild(node, visit);
  };
  visit(file);
}

const unused: string[] = [];
for (const file of own) {
  const rel = path.relative(root, file.fileName);
  if (!rel.startsWith('src/') || rel.endsWith('bot.js')) continue;
  const moduleSymbol = checker.getSymbolAtLocation(file);
  if (!moduleSymbol || wholeModules.has(moduleSymbol)) continue;
  for (const exp of checker.getExportsOfModule(moduleSymbol)) {
    if (exp.name === 'default') continue;
    if (used.has(target(exp))) continue;
    const decl = exp.declarations?.[0];
    const line = decl ? file.getLineAndCharacterOfPosition(decl.getStart()).line + 1 : 0;
    unused.push(`${rel}:${line} ${exp.name}`);
  }
}
if (unused.length) {
  process.stderr.write(
    `exports no other file imports (drop the export, or the code):\n${unused.map((u) => `  ${u}`).join('\n')}\n`,
  );
  process.exit(1);
}
