'use strict';
// The influxd configuration used by the demo (npm start) and the test harness: loopback only, data
// in one directory, no reporting home and no background services a short-lived server does not need.

/**
 * @param {{ dataDir: string, port: number, rpcPort: number, auth?: boolean, http?: string[] }} options
 * @returns {string} the TOML text of influxdb.conf
 */
function influxdConfig({ dataDir, port, rpcPort, auth = false, http = [] }) {
  return `reporting-disabled = true
bind-address = "127.0.0.1:${rpcPort}"

[meta]
  dir = "${dataDir}/meta"

[data]
  dir = "${dataDir}/data"
  wal-dir = "${dataDir}/wal"
  query-log-enabled = false
  trace-logging-enabled = false

[retention]
  enabled = false

[shard-precreation]
  enabled = false

[monitor]
  store-enabled = false

[continuous_queries]
  enabled = false

[subscriber]
  enabled = false

[logging]
  level = "warn"

[http]
  enabled = true
  bind-address = "127.0.0.1:${port}"
  auth-enabled = ${auth}
  log-enabled = false
  write-tracing = false
  pprof-enabled = false
${http.map((line) => `  ${line}`).join('\n')}
`;
}

module.exports = { influxdConfig };
