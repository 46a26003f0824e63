-- Hooks that change what the model receives and what tools get:
-- llmkit run examples/lua/hooks.lua
Hook.register("model.request.before", function(ctx)
  local messages = ctx.value
  local last = messages[#messages]
  last.parts[1].text = last.parts[1].text .. " (answer in French)"
  return Hook.modify(messages)
end, {priority = 10})
Hook.register("tool.call.before", function(ctx)
  if ctx.tool == "delete_everything" then return Hook.cancel("not allowed") end
end)

local model = Test.mock_model({"Bonjour"})
local agent = Agent.create{model = model}
print(agent:run("Say hello"))
local sent = Test.mock_requests(model)[1]
print("the model received: " .. sent[#sent].parts[1].text)
for _, hook in ipairs(Hook.list()) do print(hook.point, hook.priority) end
return sent[#sent].parts[1].text
