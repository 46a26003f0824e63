-- What reads better in Lua than the generated bindings alone. Loaded once per engine;
-- returns the function that adds it to each new environment after the bridges.
local type, select, ipairs, pairs, setmetatable = type, select, ipairs, pairs, setmetatable
local error, pack, unpack = error, table.pack, table.unpack
local running, yield, isyieldable = coroutine.running, coroutine.yield, coroutine.isyieldable

-- Global tables that are not bridges (their functions never yield to Async.all).
local NOT_BRIDGES = {
  string = true, table = true, math = true, utf8 = true, coroutine = true, _G = true,
  ARGS = true, Async = true,
}
local REQUEST = {}  -- marks a yield that carries a bridge call to Async.all

-- Async.all: each function runs as a coroutine of this run (hook armed, so limits hold);
-- a bridge call inside one yields its request, and the requests of every coroutine
-- reach the host together (Async.call_all). Every function runs to its end; then the
-- first error (by position) is raised, else the results come back in order.
local function async_all(env, tasks)
  local co, call_all = env.coroutine, env.Async.call_all
  return function(first, ...)
    local fns = first
    if type(first) ~= "table" or select("#", ...) > 0 then fns = pack(first, ...) end
    local n = fns.n or #fns
    local threads, inbox, results, failure, failed_at = {}, {}, {}, nil, nil
    for i = 1, n do
      if type(fns[i]) ~= "function" then
        error("Async.all: item " .. i .. " is a " .. type(fns[i]) .. ", not a function", 2)
      end
      threads[i] = co.create(fns[i])
      tasks[threads[i]] = true
      inbox[i] = { n = 0 }
    end
    local live = n
    while live > 0 do
      local calls, waiting = {}, {}
      for i = 1, n do
        local thread = threads[i]
        if thread then
          local box = inbox[i]
          local ok, tag, name, args = co.resume(thread, unpack(box, 1, box.n))
          if not ok or co.status(thread) == "dead" then
            threads[i], live = nil, live - 1
            if ok then results[i] = tag
            elseif not failed_at or i < failed_at then failure, failed_at = tag, i end
          elseif tag == REQUEST then
            calls[#calls + 1] = { name, args }
            waiting[#waiting + 1] = i
          else
            inbox[i] = { n = 0 }  -- a plain yield: resumed again next round
          end
        end
      end
      if #calls > 0 then
        local replies = call_all(calls)
        for k, i in ipairs(waiting) do
          local reply = replies[k]
          inbox[i] = { reply.ok, reply.ok and reply.value or reply.error, n = 2 }
        end
      end
    end
    if failed_at then error(failure, 0) end
    return results
  end
end

-- Inside an Async.all coroutine a bridge call yields instead of blocking the engine.
local function yielding(env, tasks)
  for bridge_name, bridge in pairs(env) do
    if type(bridge) == "table" and not NOT_BRIDGES[bridge_name] then
      for name, fn in pairs(bridge) do
        if type(fn) == "function" then
          local qualified = bridge_name .. "." .. name
          bridge[name] = function(...)
            if tasks[running()] and isyieldable() then
              local ok, value = yield(REQUEST, qualified, pack(...))
              if ok then return value end
              error(value, 2)  -- raised where the script made the call
            end
            return fn(...)
          end
        end
      end
    end
  end
end

return function(env)
  local tasks = setmetatable({}, { __mode = "k" })
  yielding(env, tasks)
  env.Async.all = async_all(env, tasks)
  local define = env.Tool.define

  -- Tool.define{name = ..., description = ..., params = {...}, fn = function(args) end,
  -- capabilities = {...}}: the table form of Tool.define.
  env.Tool.define = function(name, ...)
    if type(name) == "table" and select("#", ...) == 0 then
      return define(name.name, name.description, name.params, name.fn, name.capabilities)
    end
    return define(name, ...)
  end

  -- Handles the host returns ({id = ...}) get methods, so scripts write agent:run(x).
  -- A method passes the id alone: the host takes either, and a string crosses for free.
  local function methods_of(bridge, names)
    local index = {}
    for _, name in ipairs(names) do
      local method = bridge[name]
      index[name] = function(self, ...)
        local id = type(self) == "table" and rawget(self, "id")
        return method(type(id) == "string" and id or self, ...)
      end
    end
    local meta = {__index = index}
    return function(handle) return setmetatable(handle, meta) end
  end

  local Agent = env.Agent
  local agent_object = methods_of(Agent, {"run", "stream", "as_tool"})
  local create, load, get = Agent.create, Agent.load, Agent.get
  Agent.create = function(spec) return agent_object(create(spec)) end
  Agent.load = function(path, opts) return agent_object(load(path, opts)) end
  Agent.get = function(name)
    local found = get(name)
    return found and agent_object(found)
  end

  local Event = env.Event
  local subscription = methods_of({off = Event.off}, {"off"})
  local on = Event.on
  Event.on = function(...) return subscription(on(...)) end
  local recording = methods_of({stop = Event.stop}, {"stop"})
  local record = Event.record
  Event.record = function(...) return recording(record(...)) end

  local Hook = env.Hook
  local hook_handle = methods_of({unregister = Hook.unregister}, {"unregister"})
  local register = Hook.register
  Hook.register = function(...) return hook_handle(register(...)) end

  -- A spy is a plain function (spy.fn) that records its calls on the host.
  local Test = env.Test
  local spy, spy_call, spy_calls = Test.spy, Test.spy_call, Test.spy_calls
  local spy_object = methods_of({calls = spy_calls}, {"calls"})
  Test.spy = function(fn)
    local handle = spy_object(spy(fn))
    handle.fn = function(...) return spy_call(handle.id, {...}) end
    return handle
  end

  local Workflow = env.Workflow
  local workflow_object = methods_of(Workflow, {"run"})
  local wf_create, wf_load = Workflow.create, Workflow.load
  Workflow.create = function(definition) return workflow_object(wf_create(definition)) end
  Workflow.load = function(path) return workflow_object(wf_load(path)) end

  local Memory = env.Memory
  local conversation_object = methods_of(Memory, {"add", "messages", "clear"})
  local conversation = Memory.conversation
  Memory.conversation = function(...) return conversation_object(conversation(...)) end
end
