// Nodes for the flow benchmark: a source the benchmark sends messages from (through a wire, as an
// inject or MQTT node would); a node that acknowledges every message at once and writes nothing (the
// runtime's own ceiling); and one that writes nothing either but holds messages as a node writing
// batches must: in groups of `every`, a group closed when full or `interval` ms after its first message
// (a commit), and acknowledged `holdMs` after it closed (the write).
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
    const interval = Number(config.interval);
    const groups = new Set();
    let filling;
    const release = (group) => {
      clearTimeout(group.timer);
      groups.delete(group);
      if (filling === group) filling = undefined;
      for (const done of group.dones) done();
    };
    const closeGroup = (group) => {
      clearTimeout(group.timer);
      if (filling === group) filling = undefined;
      group.timer = setTimeout(() => release(group), holdMs);
    };
    this.on('input', (_msg, _send, done) => {
      if (filling === undefined) {
        const group = { dones: [], timer: undefined };
        group.timer = setTimeout(() => closeGroup(group), interval);
        groups.add(group);
        filling = group;
      }
      filling.dones.push(done);
      if (filling.dones.length >= every) closeGroup(filling);
    });
    this.on('close', (done) => {
      for (const group of [...groups]) release(group);
      done();
    });
  }
  RED.nodes.registerType('bench hold', BenchHold);
};
