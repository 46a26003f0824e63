-- An agent on the default model (local:smollm2, offline): llmkit run examples/lua/agent.lua
-- `llmkit run examples/lua/agent.lua QUESTION MODEL` asks another model (provider:model).
local agent = Agent.create{
  name = "helper",
  instructions = "You are a helpful assistant. Answer in one short sentence.",
  model = ARGS[2],
  limits = {max_steps = 2},
}
local answer = agent:run(ARGS[1] or "What is the capital of France?")
print(answer)
return answer
