-- Call models without an agent: llmkit run examples/lua/provider.lua
print("default model: " .. Provider.default())
local model = ARGS[1] or Test.mock_model({"Lua is a small language.", "Streaming works."})
local reply = Provider.complete(model, "Describe Lua in one sentence.", {max_tokens = 40})
print(reply.text, reply.finish_reason)
local pieces = 0
Provider.stream(model, "Say something.", function(delta) pieces = pieces + 1 end, {max_tokens = 20})
print(("streamed in %d pieces"):format(pieces))
local vectors = Provider.embed("local", {"a cat", "a kitten", "an invoice"})
return {providers = #Provider.list(), dimension = #vectors[1]}
