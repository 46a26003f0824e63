-- Builds sandboxed environments. Runs once per engine, with the full standard library,
-- before anything a script can touch exists; keeps what it needs in locals (upvalues no
-- script can reach) and returns the functions the host drives.
local host, patterns_source, HOOK_EVERY, PATTERN_BUDGET = ...
local overdue, write_out, audit, warn_out, read_module =
  host.overdue, host.write, host.audit, host.warn, host.read_module

local sethook, getinfo, traceback = debug.sethook, debug.getinfo, debug.traceback
local raw_pcall, raw_xpcall, raw_error, raw_load = pcall, xpcall, error, load
local co_create, co_resume, co_close = coroutine.create, coroutine.resume, coroutine.close
local co_running = coroutine.running
local type, tostring, select, pairs, next = type, tostring, select, pairs, next
local setmetatable, getmetatable, rawget = setmetatable, getmetatable, rawget
local concat, pack, str_byte = table.concat, table.pack, string.byte
local string_meta = getmetatable("")

local MEMORY_ERROR = "not enough memory"
local fatal = nil          -- the message of the limit that stopped this run, once one did
local max_depth = 2000
local ticked = false       -- the host's ticks arm the main thread's hook (engines/lua_ticks.py)

-- The wall clock and call depth: every HOOK_EVERY instructions in every coroutine, and in
-- the main thread once per tick when the host ticks it.
local function hook()
  if ticked then
    local _, main = co_running()
    if main then sethook(hook, "", 0) end  -- a tick armed it for one instruction
  end
  if fatal then raw_error(fatal, 0) end
  local late = overdue()
  if late then fatal = late; raw_error(late, 0) end
  if getinfo(max_depth, "l") then
    fatal = "call_depth: more than " .. max_depth .. " nested calls"
    raw_error(fatal, 0)
  end
end
sethook(hook, "", HOOK_EVERY)

-- A caught limit error is raised again: pcall, xpcall and coroutines cannot swallow it.
local function rethrow_limits(ok, ...)
  if not ok then
    if fatal then raw_error(fatal, 0) end
    if (...) == MEMORY_ERROR then
      fatal = "memory: " .. MEMORY_ERROR; raw_error(fatal, 0)
    end
  end
  return ok, ...
end

local function safe_pcall(f, ...) return rethrow_limits(raw_pcall(f, ...)) end

local function safe_xpcall(f, handler, ...)
  local function guarded(e)
    if fatal then return fatal end
    return handler(e)
  end
  return rethrow_limits(raw_xpcall(f, guarded, ...))
end

local function armed(co)
  sethook(co, hook, "", HOOK_EVERY)
  return co
end

local function unwrap(ok, ...)
  if ok then return ... end
  raw_error((...), 0)
end

local coroutine_lib = {
  create = function(f) return armed(co_create(f)) end,
  resume = function(co, ...) return rethrow_limits(co_resume(co, ...)) end,
  wrap = function(f)
    local co = armed(co_create(f))
    return function(...) return unwrap(rethrow_limits(co_resume(co, ...))) end
  end,
  close = function(co) return rethrow_limits(co_close(co)) end,
  isyieldable = coroutine.isyieldable, running = coroutine.running,
  status = coroutine.status, yield = coroutine.yield,
}

local function refuse(operation, detail)
  audit(operation, detail or "")
  raw_error(operation .. " is not available in the sandbox", 2)
end

-- Text-only load, in the script's environment unless one is given.
local function make_load(env)
  return function(chunk, name, mode, chunk_env)
    if mode ~= nil and mode ~= "t" then refuse("load(binary)", tostring(mode)) end
    if type(chunk) == "string" and str_byte(chunk, 1) == 27 then refuse("load(binary)", "bytecode") end
    if chunk_env == nil then chunk_env = env end
    return raw_load(chunk, name, "t", chunk_env)
  end
end

local GC_OPTIONS = { collect = true, count = true, step = true, isrunning = true }
local function safe_collectgarbage(option, ...)
  option = option or "collect"
  if not GC_OPTIONS[option] then refuse("collectgarbage(" .. tostring(option) .. ")") end
  return collectgarbage(option, ...)
end

local function print_out(...)
  local n = select("#", ...)
  local parts = {}
  for i = 1, n do parts[i] = tostring((select(i, ...))) end
  local failure = write_out(concat(parts, "\t") .. "\n")
  if failure then fatal = failure; raw_error(failure, 0) end
end

local warn_on = false
local function warn(first, ...)
  local message = concat({ first, ... })
  if message == "@on" then warn_on = true elseif message == "@off" then warn_on = false
  elseif warn_on then warn_out(message) end
end

local function copy(t)
  local out = {}
  for k, v in pairs(t) do out[k] = v end
  return out
end

local native_string = copy(string)
native_string.dump = nil
local safe_patterns = raw_load(patterns_source, "=patterns", "t")(native_string, PATTERN_BUDGET)

local BASE = {
  "assert", "error", "getmetatable", "ipairs", "next", "pairs", "rawequal", "rawget", "rawlen",
  "rawset", "select", "setmetatable", "tonumber", "tostring", "type", "_VERSION",
}
local base = {}
for _, name in pairs(BASE) do base[name] = _G[name] end
local libraries = { math = math, table = table, utf8 = utf8 }

local FORBIDDEN = {
  os = true, io = true, debug = true, package = true, dofile = true, loadfile = true,
  python = true, require = false,
}

-- A fresh environment per run: nothing a run leaves in globals or library tables
-- reaches the next one.
local function new_env(install_bridges, args, module_loader)
  local env = {}
  for k, v in pairs(base) do env[k] = v end
  for name, lib in pairs(libraries) do env[name] = copy(lib) end
  local str = copy(native_string)
  str.find, str.match, str.gmatch, str.gsub =
    safe_patterns.find, safe_patterns.match, safe_patterns.gmatch, safe_patterns.gsub
  str.dump = function() refuse("string.dump") end
  env.string = str
  string_meta.__index = str
  env.coroutine = copy(coroutine_lib)
  env.pcall, env.xpcall = safe_pcall, safe_xpcall
  env.print, env.warn = print_out, warn
  env.collectgarbage = safe_collectgarbage
  env.load = make_load(env)
  env._G = env
  env.ARGS = args
  env.require = module_loader(env)
  install_bridges(env)
  return setmetatable(env, {
    __index = function(_, key)
      if FORBIDDEN[key] then audit("global", tostring(key)) end
      return nil
    end,
    __metatable = "sandbox",
  })
end

-- require: Lua text files from the script's folder and the module paths, same sandbox.
local function module_loader(env)
  local loaded = {}
  return function(name)
    if type(name) ~= "string" then raw_error("require: a module name must be a string", 2) end
    local cached = loaded[name]
    if cached ~= nil then return cached end
    local source, path = read_module(name)
    if not source then raw_error(path, 2) end
    local chunk, problem = raw_load(source, "@" .. path, "t", env)
    if not chunk then raw_error(problem, 0) end
    local result = chunk(name, path)
    if result == nil then result = true end
    loaded[name] = result
    return result
  end
end

local function with_traceback(e)
  if fatal then return { fatal, "", true } end
  if e == MEMORY_ERROR then return { "memory: " .. MEMORY_ERROR, "", true } end
  return { e, traceback(tostring(e), 2), false }
end

local function finish(ok, ...)
  if ok then return true, pack(...) end
  local info = ...
  if type(info) ~= "table" then  -- the handler itself failed (out of memory, mostly)
    if info == MEMORY_ERROR then return false, "memory: " .. MEMORY_ERROR, "", true end
    return false, tostring(info), "", fatal ~= nil
  end
  return false, info[1], info[2], info[3]
end

-- What a bridge binding returns: the host's result, or the host's error raised at the
-- script's call site (a limit error is raised as fatal).
local function host_result(ok, value, is_fatal)
  if ok then return value end
  if is_fatal then fatal = value; raw_error(value, 0) end
  raw_error(value, 2)
end

local function has_cycle(value, path)
  if type(value) ~= "table" then return false end
  path = path or {}
  if path[value] then return true end
  path[value] = true
  for _, item in next, value do
    if has_cycle(item, path) then return true end
  end
  path[value] = nil
  return false
end

local engine = {}

-- Compile a script's text (never bytecode); returns the chunk or nil and the message.
function engine.compile(source, chunk_name, env)
  local chunk, problem = raw_load(source, chunk_name, "t", env)
  return chunk, problem
end

function engine.new_env(install_bridges, args)
  return new_env(install_bridges, args, module_loader)
end

-- Call f under the limits: returns true and a packed table of results, or false, the
-- error, the script's traceback and whether a limit stopped it.
function engine.run(f, ...)
  fatal = nil
  return finish(raw_xpcall(f, with_traceback, ...))
end

-- A call from the host while a script is already running keeps its limit state.
function engine.call(f, ...)
  return finish(raw_xpcall(f, with_traceback, ...))
end

-- Empty tables that came from empty host lists stay lists on their way back.
local ARRAY = {}
function engine.empty_array() return setmetatable({}, ARRAY) end
function engine.is_array(t) return getmetatable(t) == ARRAY end

engine.host_result = host_result
engine.has_cycle = has_cycle

-- Before a run builds its environment: the last run's limit error must not fire in the
-- hook while the new environment's preludes run.
function engine.configure(depth)
  max_depth = depth
  fatal = nil
end

function engine.stopped()
  return fatal
end

-- The main thread's hook: armed by the host's ticks, or every HOOK_EVERY instructions.
function engine.watch_by_ticks() ticked = true; sethook(hook, "", 0) end
function engine.watch_by_count() ticked = false; sethook(hook, "", HOOK_EVERY) end

-- The address of the main thread's lua_State, for the ticks.
engine.state = tonumber(string.format("%p", co_running()))

string_meta.__metatable = false
return engine
