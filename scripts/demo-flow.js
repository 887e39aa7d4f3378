'use strict';
// The demo flow `npm start` deploys (and the editor test shows): the examples it is made of, with their
// servers (one each, so that the examples import one after another) pointed at a given InfluxDB.
const fs = require('node:fs');
const path = require('node:path');

const DEMO_EXAMPLES = ['Write a sensor value.json', 'Query to a debug node.json'];
const root = path.resolve(__dirname, '..');

/** The flow, its servers at `url` (the server's address), writing to `database`. */
function demoFlow(url, database) {
  const nodes = new Map();
  for (const file of DEMO_EXAMPLES) {
    for (const node of JSON.parse(fs.readFileSync(path.join(root, 'examples', file), 'utf8'))) nodes.set(node.id, node);
  }
  for (const node of nodes.values()) {
    if (node.type !== 'inflow-config') continue;
    node.dsn = url;
    node.database = database;
  }
  return [...nodes.values()];
}

module.exports = { demoFlow };
