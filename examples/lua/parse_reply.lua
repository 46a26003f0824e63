-- Read a structured answer out of a model's messy reply, check it, repair near-misses.
-- llmkit run examples/lua/parse_reply.lua
local text = require("lib.replies").sample

local schema = {
  type = "object",
  properties = {city = {type = "string"}, population = {type = "integer"}},
  required = {"city", "population"},
}

local answer = Schema.coerce(Output.extract_json(text), schema)
local check = Schema.validate(answer, schema)
if not check.valid then
  error("the reply does not fit: " .. JSON.encode(check.errors))
end
print(("%s has %d inhabitants"):format(answer.city, answer.population))
return answer
