-- Tools written in Lua for any llmkit agent:
--   Toolset.from_script("examples/lua/word_tools.lua")
-- Run directly, it checks them: llmkit run examples/lua/word_tools.lua "some text"
Tool.define{
  name = "word_count",
  description = "Count the words in a text",
  params = {type = "object", properties = {text = {type = "string"}}, required = {"text"}},
  fn = function(args)
    local n = 0
    for _ in args.text:gmatch("%S+") do n = n + 1 end
    return n
  end,
}

Tool.define{
  name = "title_case",
  description = "Capitalize every word of a text",
  params = {type = "object", properties = {text = {type = "string"}}, required = {"text"}},
  fn = function(args)
    return (args.text:gsub("(%a)([%w']*)", function(first, rest)
      return first:upper() .. rest:lower()
    end))
  end,
}

local text = ARGS[1] or "the quick brown fox"
print(Tool.call("title_case", {text = text}))
return Tool.call("word_count", {text = text})
