-- Conversation memory and vector memory: llmkit run examples/lua/memory.lua
local chat = Memory.conversation("demo")
chat:add({{role = "user", content = "My name is Ada."}, {role = "assistant", content = "Hi Ada!"}})
print(("%d messages stored"):format(#chat:messages()))

Memory.remember("facts", {
  "The Eiffel Tower is in Paris.",
  "Lua was created in Brazil in 1993.",
  "Cats sleep most of the day.",
})
local best = Memory.recall("facts", "Where does Lua come from?", {k = 1})[1]
print(best.text)
return best.text
