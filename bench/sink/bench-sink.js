// A node that acknowledges every message at once and writes nothing: the runtime's own ceiling.
module.exports = function (RED) {
  function BenchSink(config) {
    RED.nodes.createNode(this, config);
    this.on('input', (_msg, _send, done) => done());
  }
  RED.nodes.registerType('bench sink', BenchSink);
};
