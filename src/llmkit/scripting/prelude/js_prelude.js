// What reads better in JavaScript than the generated bindings alone: evaluated once per
// context with the bridge objects, before any script.
(function (bridges) {
  "use strict";
  const NativePromise = Promise, isArray = Array.isArray;

  // Async.all(fn1, fn2, ...) or Async.all([...]): functions (or promises) run side by side,
  // their bridge calls reach the host together; as in Lua, every one runs to its end,
  // then the first error (by position) is thrown, else the results come in order.
  if (bridges.Async) {
    bridges.Async.all = async function (...items) {
      const list = items.length === 1 && isArray(items[0]) ? items[0] : items;
      const started = list.map(function (item, i) {
        if (typeof item === "function") return (async function () { return item(); })();
        if (item !== null && typeof item === "object" && typeof item.then === "function") return item;
        throw new TypeError("Async.all: item " + (i + 1) + " is not a function or a promise");
      });
      const settled = await NativePromise.allSettled(started);
      const failed = settled.find(function (s) { return s.status === "rejected"; });
      if (failed) throw failed.reason;
      return settled.map(function (s) { return s.value; });
    };
  }

  // Tool.define({name, description, params, fn, capabilities}): the object form.
  const define = bridges.Tool.define;
  bridges.Tool.define = function (spec, ...rest) {
    if (spec !== null && typeof spec === "object" && rest.length === 0) {
      return define(spec.name, spec.description, spec.params, spec.fn, spec.capabilities);
    }
    return define(spec, ...rest);
  };

  // Handles the host returns ({id: ...}) get methods, so scripts write agent.run(x).
  // A method passes the id alone: the host takes either, and a string crosses for free.
  function methodsOf(bridge, names) {
    return function (handle) {
      if (handle === null || typeof handle !== "object") return handle;
      for (const name of names) {
        const method = bridge[name];
        if (method) {
          handle[name] = (...args) =>
            method(typeof handle.id === "string" ? handle.id : handle, ...args);
        }
      }
      return handle;
    };
  }

  function wrap(bridge, factories, names) {
    if (!bridge) return;
    const attach = methodsOf(bridge, names);
    for (const factory of factories) {
      const original = bridge[factory];
      if (original) bridge[factory] = async (...args) => attach(await original(...args));
    }
  }

  wrap(bridges.Agent, ["create", "load", "get"], ["run", "stream", "asTool"]);
  wrap(bridges.Workflow, ["create", "load"], ["run"]);
  wrap(bridges.Memory, ["conversation"], ["add", "messages", "clear"]);
  if (bridges.Event) {
    const on = bridges.Event.on, record = bridges.Event.record;
    const subscription = methodsOf({off: bridges.Event.off}, ["off"]);
    const recording = methodsOf({stop: bridges.Event.stop}, ["stop"]);
    if (on) bridges.Event.on = async (...args) => subscription(await on(...args));
    if (record) bridges.Event.record = async (...args) => recording(await record(...args));
  }
  if (bridges.Hook && bridges.Hook.register) {
    const register = bridges.Hook.register;
    const handle = methodsOf({unregister: bridges.Hook.unregister}, ["unregister"]);
    bridges.Hook.register = async (...args) => handle(await register(...args));
  }
  if (bridges.Test && bridges.Test.spy) {
    // A spy is a plain function (spy.fn) that records its calls on the host.
    const spy = bridges.Test.spy, spyCall = bridges.Test.spyCall, spyCalls = bridges.Test.spyCalls;
    bridges.Test.spy = async function (fn) {
      const handle = await spy(fn);
      handle.calls = () => spyCalls(handle);
      handle.fn = (...args) => spyCall(handle.id, args);
      return handle;
    };
  }
})
