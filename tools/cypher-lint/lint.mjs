#!/usr/bin/env node
// SPDX-License-Identifier: GPL-3.0-or-later
/**
 * Lints Neo4j Cypher files with Neo4j's own linter (@neo4j-cypher/language-support,
 * lintCypherQuery) and prints JSON, so csenet's canned queries are checked against the
 * production dialect without a running Neo4j. The library takes about a second to load,
 * so one process lints every file.
 *
 * Usage:
 *   node lint.mjs [options] FILE...      lint these files
 *   node lint.mjs [options] [-]          read a JSON list from stdin; each item is a path,
 *                                        or {"path"?, "name"?, "text"?, "params"?}
 * Options:
 *   --schema FILE       DbSchema JSON (default: csenet-schema.json beside this script)
 *   --no-schema         no labels/types/properties: no "not in the database" warnings
 *   --plugins apoc,gds  also accept these plugins' functions and procedures
 *   --cypher-version V  "CYPHER 5" (default, Neo4j 5) or "CYPHER 25"
 *   --format json|text  json (default) or one "path:line:col: severity: message" a line
 *
 * "params" declares the query's parameters (an object name -> example value, or a list of
 * names); a $parameter outside it is then an error. Without "params", every $parameter
 * the query uses counts as declared. Files are linted whole: the // metadata header is a
 * Cypher comment, and keeping it keeps line numbers equal to the file's.
 *
 * Exit status: 0 no error-severity diagnostic, 1 at least one, 2 could not run.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const SEVERITY = { 1: 'error', 2: 'warning', 3: 'information', 4: 'hint' };
const BUILTIN_PROCEDURE_NAMESPACES = ['db.', 'dbms.', 'tx.'];

function fail(message) {
  process.stderr.write(`cypher-lint: ${message}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const opts = {
    schema: join(here, 'csenet-schema.json'),
    plugins: [],
    cypherVersion: 'CYPHER 5',
    format: 'json',
    files: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) fail(`${arg} needs a value`);
      return argv[++i];
    };
    if (arg === '--schema') opts.schema = value();
    else if (arg === '--no-schema') opts.schema = null;
    else if (arg === '--plugins') opts.plugins = value().split(',').map((p) => p.trim()).filter(Boolean);
    else if (arg === '--cypher-version') opts.cypherVersion = value();
    else if (arg === '--format') opts.format = value();
    else if (arg === '-h' || arg === '--help') {
      process.stdout.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0] + '*/\n');
      process.exit(0);
    } else if (arg.startsWith('--')) fail(`unknown option ${arg}`);
    else opts.files.push(arg);
  }
  if (!['json', 'text'].includes(opts.format)) fail(`--format must be json or text, not ${opts.format}`);
  return opts;
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

async function loadItems(opts) {
  const files = opts.files.filter((f) => f !== '-');
  if (files.length && files.length === opts.files.length) return files.map((path) => ({ path }));
  let list;
  try {
    list = JSON.parse(await readStdin());
  } catch (err) {
    fail(`stdin is not a JSON list: ${err.message}`);
  }
  if (!Array.isArray(list)) fail('stdin must hold a JSON list');
  return files.map((path) => ({ path })).concat(list.map((item) => (typeof item === 'string' ? { path: item } : item)));
}

/** Built-in functions and procedures, from the Neo4j 5 catalogue the library ships, so an
 * unknown or plugin-only function is an error just as it would be on a plain Neo4j. */
function catalogue(lib, plugins) {
  const mock = lib.testData?.mockSchema;
  if (!mock?.functions || !mock?.procedures) return {};
  const pluginPrefixes = plugins.map((p) => `${p}.`);
  const keep = (name, builtIn) => builtIn || pluginPrefixes.some((p) => name.startsWith(p));
  const functions = {};
  const procedures = {};
  for (const [version, registry] of Object.entries(mock.functions)) {
    functions[version] = Object.fromEntries(
      Object.entries(registry).filter(([name, fn]) => keep(name, fn.isBuiltIn === true)),
    );
  }
  for (const [version, registry] of Object.entries(mock.procedures)) {
    procedures[version] = Object.fromEntries(
      Object.entries(registry).filter(([name]) =>
        keep(name, BUILTIN_PROCEDURE_NAMESPACES.some((ns) => name.startsWith(ns))),
      ),
    );
  }
  return { functions, procedures };
}

function declaredParameters(lib, item, text) {
  if (Array.isArray(item.params)) return Object.fromEntries(item.params.map((p) => [typeof p === 'string' ? p : p.name, null]));
  if (item.params && typeof item.params === 'object') return Object.fromEntries(Object.entries(item.params).map(([k, v]) => [k, v ?? null]));
  return Object.fromEntries(lib.parseParameters(text, false).map((name) => [name.replace(/^`|`$/g, ''), null]));
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const items = await loadItems(opts);
  let lib;
  try {
    lib = await import('@neo4j-cypher/language-support');
  } catch (err) {
    fail(`cannot load @neo4j-cypher/language-support (run: npm ci --prefix ${here}): ${err.message}`);
  }
  const pkg = JSON.parse(readFileSync(join(here, 'node_modules/@neo4j-cypher/language-support/package.json'), 'utf8'));
  let schema = {};
  if (opts.schema) {
    try {
      schema = JSON.parse(readFileSync(opts.schema, 'utf8'));
    } catch (err) {
      fail(`cannot read schema ${opts.schema}: ${err.message}`);
    }
    delete schema._comment;
  }
  const base = { ...schema, ...catalogue(lib, opts.plugins), defaultLanguage: opts.cypherVersion };

  const results = [];
  for (const item of items) {
    let text = item.text;
    if (text === undefined) {
      if (!item.path) fail(`item without "path" or "text": ${JSON.stringify(item)}`);
      try {
        text = readFileSync(item.path, 'utf8');
      } catch (err) {
        fail(`cannot read ${item.path}: ${err.message}`);
      }
    }
    const dbSchema = { ...base, parameters: declaredParameters(lib, item, text) };
    const { diagnostics } = lib.lintCypherQuery(text, dbSchema, { consoleCommandsEnabled: false });
    results.push({
      path: item.path ?? null,
      name: item.name ?? null,
      diagnostics: diagnostics.map((d) => ({
        severity: SEVERITY[d.severity] ?? String(d.severity),
        line: d.range.start.line + 1,
        column: d.range.start.character + 1,
        endLine: d.range.end.line + 1,
        endColumn: d.range.end.character + 1,
        message: d.message,
      })),
    });
  }

  const count = (sev) => results.reduce((n, r) => n + r.diagnostics.filter((d) => d.severity === sev).length, 0);
  const summary = { files: results.length, errors: count('error'), warnings: count('warning') };
  if (opts.format === 'json') {
    const report = {
      linter: { package: pkg.name, version: pkg.version, cypherVersion: opts.cypherVersion, node: process.version },
      files: results,
      summary,
    };
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  } else {
    for (const r of results) {
      for (const d of r.diagnostics) {
        process.stdout.write(`${r.path ?? r.name ?? '<stdin>'}:${d.line}:${d.column}: ${d.severity}: ${d.message}\n`);
      }
    }
    process.stdout.write(`${summary.files} files, ${summary.errors} errors, ${summary.warnings} warnings\n`);
  }
  process.exitCode = summary.errors ? 1 : 0;
}

await main();
