// The host side of the JavaScript sandbox, evaluated once per context before any script.
// quickjs refuses every call from JavaScript into Python while a time limit is set, so a
// script never calls the host: a bridge call queues a request and returns a Promise; the
// host takes the queue between jobs, serves it and settles the promises. Everything the
// host calls is kept here in closures no script can reach or replace.
(function (bindings, prelude) {
  "use strict";
  const global = globalThis;
  const stringify = JSON.stringify, parse = JSON.parse;
  const NativePromise = Promise, NativeError = Error, NativeString = String;
  const create = Object.create;
  const defineProperty = Object.defineProperty, indirectEval = eval;
  const CONSOLE = -1, PRINT = -2, AUDIT = -3, IMPORT = -4;

  let pending = "";          // queued requests, "[id,op,hasFunctions,args]" joined by ","
  let requests = 0, maxRequests = 1e9, printed = 0, maxOutput = 1e12;
  let fatal = "";            // the limit this run went over: every later request fails too
  let nextId = 0, nextFunction = 0, sawFunction = false, args = null;
  const waiting = create(null);    // request id -> [resolve, reject]
  const functions = create(null);  // function id -> a script function the host holds
  const calls = create(null);      // call id -> [state, value]: 0 running, 1 done, 2 failed
  const modules = create(null);    // module name -> promise of its namespace
  const main = create(null);       // the main script's exports

  function replacer(key, value) {
    if (typeof value !== "function") return value;
    const id = ++nextFunction;
    functions[id] = value;
    sawFunction = true;
    return { "\u0000fn": id };
  }

  function reviver(key, value) {
    if (value !== null && typeof value === "object" && "\u0000fn" in value) {
      return functions[value["\u0000fn"]];
    }
    return value;
  }

  function stop(limit, message) {
    fatal = limit + ": " + message;
    throw new NativeError(fatal);
  }

  function post(op, values) {
    if (fatal) throw new NativeError(fatal);
    if (op >= 0 && ++requests > maxRequests) {
      stop("bridge_calls", "bridge call limit reached (" + maxRequests + " calls)");
    }
    sawFunction = false;
    let plain = true;  // only strings, numbers, booleans, null: no replacer needed
    for (let i = 0; i < values.length; i++) {
      const kind = typeof values[i];
      if ((kind === "object" && values[i] !== null) || kind === "function") { plain = false; break; }
    }
    const text = plain ? stringify(values) : stringify(values, replacer);
    const id = ++nextId;
    pending += (pending ? "," : "") + "[" + id + "," + op + "," + (sawFunction ? 1 : 0) + "," + text + "]";
    return id;
  }

  function request(op, values) {
    const id = post(op, values);
    return new NativePromise(function (resolve, reject) { waiting[id] = [resolve, reject]; });
  }

  function text(values) {
    let out = "";
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      out += (i ? " " : "") + (typeof v === "string" ? v : safeStringify(v));
    }
    return out;
  }

  function safeStringify(value) {
    if (value instanceof NativeError) return String(value);
    try {
      const json = stringify(value);
      return json === undefined ? String(value) : json;
    } catch (e) {
      return String(value);
    }
  }

  const print = function print(...values) {
    const line = text(values) + "\n";
    printed += line.length;  // UTF-16 units: never more than the UTF-8 bytes the host counts
    if (printed > maxOutput) stop("output", "output limit reached (" + maxOutput + " bytes)");
    post(PRINT, line);
  };

  const console = create(null);
  for (const [name, level] of [["log", 20], ["info", 20], ["debug", 10], ["warn", 30], ["error", 40]]) {
    console[name] = function (...values) { post(CONSOLE, [level, text(values)]); };
  }

  // Globals other runtimes have: absent here, and every look is an audit event.
  for (const name of ["std", "os", "require", "process", "fetch"]) {
    defineProperty(global, name, {
      get() { post(AUDIT, ["global", name]); return undefined; },
      set() { post(AUDIT, ["global", name]); },
      configurable: false,
    });
  }

  function exporter(namespace) {
    return function (getters) {
      for (const key in getters) {
        defineProperty(namespace, key, { get: getters[key], enumerable: true });
      }
    };
  }

  function exportAll(namespace) {
    return function (other) {
      for (const key in other) {
        if (key !== "default") defineProperty(namespace, key, { get: () => other[key], enumerable: true });
      }
    };
  }

  function importer(base) {
    return async function (specifier) {
      const reply = await request(IMPORT, [base, String(specifier)]);
      const name = reply[0];
      let loaded = modules[name];
      if (loaded === undefined) {
        const namespace = create(null);
        loaded = modules[name] = (async function () {
          const body = indirectEval(reply[1]);
          await body(importer(name), exporter(namespace), exportAll(namespace), args);
          return namespace;
        })();
      }
      return loaded;
    };
  }

  function track(id, promise) {
    calls[id] = [0, undefined];
    NativePromise.resolve(promise).then(
      function (value) { calls[id] = [1, value]; },
      function (error) { calls[id] = [2, error]; },
    );
  }

  const installed = bindings(request);
  for (const name in installed) {
    // JSON.encode/JSON.decode join the native JSON object rather than replace it.
    const native = global[name];
    if (native !== null && typeof native === "object") Object.assign(native, installed[name]);
    else global[name] = installed[name];
  }
  prelude(installed);
  global.print = print;
  global.console = console;
  // assert(value, message): as in Lua, for scripts that check themselves.
  global.assert = function assert(value, message) {
    if (!value) throw new NativeError(message === undefined ? "assertion failed!" : String(message));
    return value;
  };

  // The host's handle on this context (taken from a temporary global, then deleted).
  return {
    configure(limitRequests, limitOutput, argsJson) {
      maxRequests = limitRequests;
      maxOutput = limitOutput;
      args = parse(argsJson);
      global.ARGS = args;
    },
    take() {
      if (fatal) return NativeString("!" + fatal);
      if (!pending) return "";
      // String() flattens the rope concatenation builds: the binding cannot read ropes.
      const out = NativeString("[" + pending + "]");
      pending = "";
      return out;
    },
    settleOne(id, value) {
      const entry = waiting[id];
      delete waiting[id];
      entry[0](value);
    },
    settle(payload, revive) {
      const results = parse(payload, revive ? reviver : undefined);
      for (let i = 0; i < results.length; i++) {
        const result = results[i], entry = waiting[result[0]];
        delete waiting[result[0]];
        if (result[1]) entry[0](result[2]);
        else entry[1](new NativeError(result[2]));
      }
    },
    start(body, id) {
      track(id, body(importer(""), exporter(main), exportAll(main), args));
    },
    call(functionId, argsJson, revive, id) {
      const fn = functions[functionId];
      const values = parse(argsJson, revive ? reviver : undefined);
      track(id, (async function () { return fn(...values); })());
    },
    lookup(name) {
      const fn = name in main ? main[name] : global[name];
      if (typeof fn !== "function") return 0;
      const id = ++nextFunction;
      functions[id] = fn;
      return id;
    },
    outcome(id) {
      const entry = calls[id];
      if (entry === undefined || entry[0] === 0) return "";
      delete calls[id];
      if (entry[0] === 1) {
        sawFunction = false;
        const json = stringify([entry[1]], replacer);
        return NativeString((sawFunction ? "F" : "V") + json);
      }
      const error = entry[1];
      const isError = error instanceof NativeError;
      return NativeString("E" + stringify([
        isError ? String(error.message) : safeStringify(error),
        isError ? String(error.name) : "",
        isError && typeof error.stack === "string" ? error.stack : "",
      ]));
    },
  };
})
