/**
 * Jest transformer for dependencies published as ES modules only (NestJS 12's packages and a few of
 * theirs). The app is CommonJS and Node loads those with require(esm); Jest's module system does
 * that only on Node >= 24.9 under --experimental-vm-modules, so both Node versions the suite runs on
 * get them compiled to CommonJS here instead. Files of CommonJS packages pass through unchanged.
 */
const fs = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const babel = require('@babel/core');

const moduleTypeByDir = new Map();

function isEsm(filename) {
  if (filename.endsWith('.mjs')) return true;
  if (filename.endsWith('.cjs')) return false;
  let dir = path.dirname(filename);
  const visited = [];
  let type;
  while (type === undefined) {
    const known = moduleTypeByDir.get(dir);
    if (known !== undefined) {
      type = known;
      break;
    }
    visited.push(dir);
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      type = JSON.parse(fs.readFileSync(manifest, 'utf8')).type ?? 'commonjs';
      break;
    }
    const parent = path.dirname(dir);
    if (parent === dir) type = 'commonjs';
    dir = parent;
  }
  for (const seen of visited) moduleTypeByDir.set(seen, type);
  return type === 'module';
}

/** `import.meta.url`, `.filename` and `.dirname` become this file's own values, as literals. */
function importMetaAsLiterals({ types: t }, { filename }) {
  const values = { url: pathToFileURL(filename).href, filename, dirname: path.dirname(filename) };
  return {
    visitor: {
      MemberExpression(member) {
        const { object, property } = member.node;
        if (!t.isMetaProperty(object) || object.meta.name !== 'import' || !t.isIdentifier(property)) return;
        if (property.name in values) member.replaceWith(t.stringLiteral(values[property.name]));
      },
    },
  };
}

module.exports = {
  process(source, filename) {
    if (!isEsm(filename)) return { code: source };
    const result = babel.transformSync(source, {
      filename,
      babelrc: false,
      configFile: false,
      sourceMaps: 'inline',
      plugins: [[importMetaAsLiterals, { filename }], '@babel/plugin-transform-dynamic-import', '@babel/plugin-transform-modules-commonjs'],
    });
    return { code: result.code };
  },
};
