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
// The built core and the packages it loads (dockerode, pino …) are compiled through the code cache.
require('./compile-cache.cjs').enableCompileCache(path.join(__dirname, '..'), process.env);
require(entry);
