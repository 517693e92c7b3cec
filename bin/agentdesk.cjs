#!/usr/bin/env node
// The `agentdesk` command: runs the built headless entry (build first with `npm run build`).
const path = require('node:path');
const fs = require('node:fs');

const entry = path.join(__dirname, '..', 'out', 'main', 'headless.js');
if (!fs.existsSync(entry)) {
  process.stderr.write(
    'agentdesk: the app is not built. Run `npm run build` in ' + path.join(__dirname, '..') + '\n',
  );
  process.exit(1);
}
require('./compile-cache.cjs').enableCompileCache(path.dirname(entry), process.env);
require(entry);
