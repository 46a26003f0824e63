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
  // Bound once: a script that replaces String.prototype methods cannot change these.
  const nativeCall = Function.prototype.call;
  const isWellFormed = nativeCall.bind(NativeString.prototype.isWellFormed);
  const indexOf = nativeCall.bind(NativeString.prototype.indexOf);
  const CONSOLE = -1, PRINT = -2, AUDIT = -3, IMPORT = -4;

  let pending = "";          // queued requests, "[id,op,hasFunctions,args]" joined by ","
  // The common case, one bridge call with plain arguments per job, skips JSON: the call
  // waits in this slot and the host reads its arguments one by one (see take/arg).
  let slotted = false, slotCode = 0, slotValues = null, slotResolve = null, slotReject = null;
  let current = null;        // the arguments of the request the host took from the slot
  // The promise of that request, filed under the host's token (a nested drive files its
  // own: the outer one moves to `waiting`).
  let takenToken = 0, takenResolve = null, takenReject = null;
  let newResolve = null, newReject = null;
  function capture(resolve, reject) { newResolve = resolve; newReject = reject; }
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

  function admit(op) {
    if (fatal) throw new NativeError(fatal);
    if (op >= 0 && ++requests > maxRequests) {
      stop("bridge_calls", "bridge call limit reached (" + maxRequests + " calls)");
    }
  }

  function encode(values) {
    sawFunction = false;
    let plain = true;  // only strings, numbers, booleans, null: no replacer needed
    for (let i = 0; i < values.length; i++) {
      const kind = typeof values[i];
      if ((kind === "object" && values[i] !== null) || kind === "function") { plain = false; break; }
    }
    return plain ? stringify(values) : stringify(values, replacer);
  }

  function queue(id, op, text) {
    pending += (pending ? "," : "") + "[" + id + "," + op + "," + (sawFunction ? 1 : 0) + "," + text + "]";
  }

  // The slot's request joins the JSON queue once anything else is queued after it.
  function flush() {
    if (!slotted) return;
    slotted = false;
    const id = ++nextId;
    waiting[id] = [slotResolve, slotReject];
    sawFunction = false;
    queue(id, slotCode >> 5, stringify(slotValues));
    slotValues = slotResolve = slotReject = null;
  }

  // What take() hands the host for a call whose arguments the binding converts exactly
  // (strings without NUL or lone surrogates, numbers, booleans, null): the method index,
  // the argument count and whether any is a number; -1 when JSON must carry them.
  function plainCode(op, values) {
    const count = values.length;
    if (count > 15 || op > 0xfffff) return -1;
    let numbers = 0;
    for (let i = 0; i < count; i++) {
      const value = values[i], kind = typeof value;
      if (kind === "string") {
        if (!isWellFormed(value) || indexOf(value, "\0") >= 0) return -1;
      } else if (kind === "number") numbers = 1;
      else if (kind !== "boolean" && value != null) return -1;
    }
    return (op * 16 + count) * 2 + numbers;
  }

  function post(op, values) {
    admit(op);
    flush();
    queue(++nextId, op, encode(values));
  }

  function request(op, values) {
    admit(op);
    const code = slotted || pending || op < 0 ? -1 : plainCode(op, values);
    let id = 0;
    if (code < 0) {
      flush();
      const text = encode(values);
      id = ++nextId;
      queue(id, op, text);
    }
    const promise = new NativePromise(capture);
    if (code < 0) waiting[id] = [newResolve, newReject];
    else {
      slotted = true;
      slotCode = code;
      slotValues = values;
      slotResolve = newResolve;
      slotReject = newReject;
    }
    newResolve = newReject = null;
    return promise;
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
    // The queued requests as JSON text; or, for one call waiting in the slot, its code
    // (a number), its promise filed under the host's `token` and its arguments kept for arg().
    take(token) {
      if (fatal) return NativeString("!" + fatal);
      if (slotted) {
        slotted = false;
        if (takenToken !== 0) waiting[takenToken] = [takenResolve, takenReject];
        takenToken = token;
        takenResolve = slotResolve;
        takenReject = slotReject;
        current = slotValues;
        slotValues = slotResolve = slotReject = null;
        return slotCode;
      }
      if (!pending) return "";
      // String() flattens the rope concatenation builds: the binding cannot read ropes.
      const out = NativeString("[" + pending + "]");
      pending = "";
      return out;
    },
    arg(index) {
      return current[index];
    },
    settleOne(id, value) {
      if (id === takenToken) {
        const resolve = takenResolve;
        takenToken = 0;
        takenResolve = takenReject = null;
        resolve(value);
        return;
      }
      const entry = waiting[id];
      delete waiting[id];
      entry[0](value);
    },
    settle(payload, revive) {
      const results = parse(payload, revive ? reviver : undefined);
      for (let i = 0; i < results.length; i++) {
        const result = results[i];
        let entry;
        if (result[0] === takenToken) {
          entry = [takenResolve, takenReject];
          takenToken = 0;
          takenResolve = takenReject = null;
        } else {
          entry = waiting[result[0]];
          delete waiting[result[0]];
        }
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
