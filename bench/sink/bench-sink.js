// Nodes for the flow benchmark: a source the benchmark sends messages from (through a wire, as an
// inject or MQTT node would); a node that acknowledges every message at once and writes nothing (the
// runtime's own ceiling); and one that writes nothing either but holds messages as a node writing
// batches must: in groups of `every`, each group acknowledged `holdMs` after its first message came
// (a group that never fills, at that time too).
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

  function BenchHold(config) {
    RED.nodes.createNode(this, config);
    const every = Number(config.every);
    const holdMs = Number(config.holdMs);
    const groups = new Set();
    let filling;
    const release = (group) => {
      clearTimeout(group.timer);
      groups.delete(group);
      if (filling === group) filling = undefined;
      for (const done of group.dones) done();
    };
    this.on('input', (_msg, _send, done) => {
      if (filling === undefined) {
        const group = { dones: [], timer: undefined };
        group.timer = setTimeout(() => release(group), holdMs);
        groups.add(group);
        filling = group;
      }
      filling.dones.push(done);
      if (filling.dones.length >= every) filling = undefined;
    });
    this.on('close', (done) => {
      for (const group of [...groups]) release(group);
      done();
    });
  }
  RED.nodes.registerType('bench hold', BenchHold);
};
