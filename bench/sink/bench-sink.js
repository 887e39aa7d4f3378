// Two nodes for the flow benchmark: a source the benchmark sends messages from (through a wire, as
// an inject or MQTT node would), and a node that acknowledges every message at once and writes
// nothing: the runtime's own ceiling.
module.exports = function (RED) {
  function BenchSource(config) {
    RED.nodes.createNode(this, config);
  }
  RED.nodes.registerType('bench source', BenchSource);

  function BenchSink(config) {
    RED.nodes.createNode(this, config);
    this.on('input', (_msg, _send, done) => done());
  }
  RED.nodes.registerType('bench sink', BenchSink);
};
