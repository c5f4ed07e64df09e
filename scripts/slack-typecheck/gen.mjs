// gen.mjs OUTDIR GOLDEN_DIR MANIFEST
// Wraps each golden JSON file and the YAML manifest in a tiny .ts module typed with Slack's own
// types, so tsc becomes a Block Kit / manifest validator. Prints "wrapper<TAB>source" per file.
// The JSON text is embedded verbatim from line 3 on, so tsc's line N is the source's line N-2.
import { readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { join, basename } from 'node:path';
import YAML from 'yaml';

const [outDir, goldenDir, manifest] = process.argv.slice(2);
const HEADER_LINES = 2;
let bad = 0;

function wrap(name, importLine, type, text, source) {
  const file = join(outDir, name + '.ts');
  writeFileSync(file, `${importLine}\nexport const value: ${type} =\n${text.trimEnd()};\n`);
  console.log(`${file}\t${source}\t${HEADER_LINES}`);
}

function jsonText(path) {
  const text = readFileSync(path, 'utf8');
  try {
    JSON.parse(text);
    return text;
  } catch (e) {
    console.error(`FAIL ${path}: not valid JSON: ${e.message}`);
    bad++;
    return null;
  }
}

if (goldenDir && existsSync(goldenDir)) {
  const files = readdirSync(goldenDir).filter((f) => f.endsWith('.json')).sort();
  files.forEach((f, i) => {
    const path = join(goldenDir, f);
    const text = jsonText(path);
    if (text === null) return;
    const isView = f.startsWith('view_');
    wrap(`g${i}_${basename(f, '.json').replace(/[^A-Za-z0-9_]/g, '_')}`,
      isView ? "import type { View } from '@slack/types';" : "import type { KnownBlock } from '@slack/types';",
      isView ? 'View' : '{ text?: string; blocks: KnownBlock[] }', text, path);
  });
}

if (manifest && existsSync(manifest)) {
  let doc;
  try {
    doc = YAML.parse(readFileSync(manifest, 'utf8'), { prettyErrors: true });
  } catch (e) {
    console.error(`FAIL ${manifest}: not valid YAML: ${e.message}`);
    bad++;
  }
  if (doc !== undefined) {
    // Line numbers refer to this JSON rendering, which the report prints on failure.
    const text = JSON.stringify(doc, null, 2);
    writeFileSync(join(outDir, 'manifest.json'), text + '\n');
    wrap('manifest', "import type { AppsManifestCreateArguments } from '@slack/web-api';",
      "AppsManifestCreateArguments['manifest']", text, manifest);
  }
}
process.exit(bad ? 1 : 0);
