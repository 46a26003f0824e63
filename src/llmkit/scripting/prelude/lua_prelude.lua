-- What reads better in Lua than the generated bindings alone. Loaded once per engine;
-- returns the function that adds it to each new environment after the bridges.
local type, select, ipairs, setmetatable = type, select, ipairs, setmetatable

return function(env)
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
  local function methods_of(bridge, names)
    local index = {}
    for _, name in ipairs(names) do
      local method = bridge[name]
      index[name] = function(self, ...) return method(self, ...) end
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
