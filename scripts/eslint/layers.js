// The layer rule, after VS Code's code-layering: every source folder names what it may import (an allow-list), so
// a new dependency between layers is a visible edit to eslint.config.js rather than an accident. A folder's most
// specific entry wins; files outside every entry (tests, benches, scripts) are free.
import path from 'node:path';

const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const posix = (p) => p.split(path.sep).join('/');

/** 'electron/main' and '@scope/pkg/sub' name the packages 'electron' and '@scope/pkg'; 'node:fs' stays whole. */
const packageOf = (specifier) => {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
};

const matchesPackage = (pattern, name) => (pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern);

/** @type {import('eslint').Rule.RuleModule} */
export const layersRule = {
  meta: {
    type: 'problem',
    docs: { description: 'Each folder imports only what its layer allows (docs/ARCHITECTURE.md).' },
    schema: [{ type: 'array' }],
  },
  create(context) {
    const layers = context.options[0] ?? [];
    const file = posix(path.relative(repoRoot, context.filename));
    const layer = layers.filter((l) => file.startsWith(l.folder)).sort((a, b) => b.folder.length - a.folder.length)[0];
    if (!layer) return {};

    const check = (node, specifier) => {
      if (typeof specifier !== 'string') return;
      if (specifier.startsWith('.')) {
        const target = posix(path.relative(repoRoot, path.resolve(path.dirname(context.filename), specifier)));
        const allowed = layer.folders.some((folder) => (folder.endsWith('/') ? target.startsWith(folder) : target === folder || target.startsWith(`${folder}.`)));
        if (!allowed) context.report({ node, message: `${layer.folder} may not import ${target} (allowed: ${layer.folders.join(', ')}; docs/ARCHITECTURE.md).` });
        return;
      }
      const name = packageOf(specifier);
      if ((layer.denyPackages ?? []).some((p) => matchesPackage(p, name)) || (layer.packages && !layer.packages.some((p) => matchesPackage(p, name)))) {
        context.report({ node, message: `${layer.folder} may not import the package '${specifier}' (docs/ARCHITECTURE.md).` });
      }
    };
    const fromSource = (node) => node.source && check(node.source, node.source.value);
    return {
      ImportDeclaration: fromSource,
      ExportNamedDeclaration: fromSource,
      ExportAllDeclaration: fromSource,
      ImportExpression: (node) => node.source.type === 'Literal' && check(node.source, node.source.value),
      TSImportType: (node) => {
        const literal = node.argument?.literal ?? node.argument;
        if (literal?.type === 'Literal') check(literal, literal.value);
      },
    };
  },
};
