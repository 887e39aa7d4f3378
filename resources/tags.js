// What the editor templates of inflow-config and inflow out share, served by Node-RED at
// resources/node-red-contrib-inflow/tags.js: tags judged as the runtime judges them (src/nodes/shared/tags.ts,
// and the line protocol's checks of tag keys and values).
(function (root) {
  'use strict';
  // A tag key or value InfluxDB can store as given.
  function isTagText(text) {
    if (text === '' || text.indexOf('\n') >= 0 || /\\$|\\[,= ]/.test(text)) return false;
    return !/[\ud800-\udbff](?![\udc00-\udfff])|(?:^|[^\ud800-\udbff])[\udc00-\udfff]/.test(text);
  }
  // A JSON object of tags, each value text, a number or true/false.
  function isTagsJson(v) {
    // Node-RED fills in a value that is exactly ${VARIABLE} when the flows start: not judged here.
    if (!v || !String(v).trim() || /^\$\{[^}]+\}$/.test(String(v))) return true;
    try {
      var parsed = JSON.parse(v);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return false;
      return Object.keys(parsed).every(function (key) {
        var value = parsed[key];
        var text =
          typeof value === 'string'
            ? value
            : (typeof value === 'number' && isFinite(value)) || typeof value === 'boolean'
              ? String(value)
              : null;
        return key !== 'time' && isTagText(key) && text !== null && isTagText(text);
      });
    } catch {
      return false;
    }
  }
  root.inflowEditor = { isTagsJson: isTagsJson };
})(this);
