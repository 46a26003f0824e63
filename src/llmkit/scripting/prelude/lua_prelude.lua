-- What reads better in Lua than the generated bindings alone. Loaded once per engine;
-- returns the function that adds it to each new environment after the bridges.
local type, select = type, select

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
end
