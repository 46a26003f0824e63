-- A workflow whose steps and loop condition are Lua functions:
-- llmkit run examples/lua/workflow.lua 5
local target = tonumber(ARGS[1] or "3")
local flow = Workflow.create{
  name = "countdown",
  steps = {
    {id = "n", kind = "transform", value = "${ input.from }"},
    {id = "steps", kind = "loop", max_iterations = 50,
     ["while"] = function(ctx) return ctx.state.n > 0 end,
     steps = {{id = "tick", output = "n", fn = function(ctx)
       print("tick " .. ctx.state.n)
       return ctx.state.n - 1
     end}}},
    {id = "done", kind = "conditional",
     ["if"] = function(ctx) return ctx.state.n == 0 end,
     ["then"] = {{id = "report", kind = "transform", value = "lift-off"}}},
  },
}
local result = flow:run({from = target})
print(result.output)
return result.state
