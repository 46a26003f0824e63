-- Test suites in Lua: llmkit test examples/lua/tests.lua -v
-- An agent driven by a scripted model, a script tool checked with a spy, assertions.
local add = Test.spy(function(args) return args.a + args.b end)

Test.suite("agent", {
  {name = "answers from the mock model", fn = function()
    local agent = Agent.create{model = Test.mock_model({"Paris"})}
    Test.equal(agent:run("Capital of France?"), "Paris")
  end},
  {name = "calls a script tool", fn = function()
    local model = Test.mock_model({{tool = "add", args = {a = 2, b = 3}}, "It is 5."})
    local agent = Agent.create{model = model, tools = {
      {name = "add", description = "Add two numbers", params = {type = "object"}, fn = add.fn},
    }}
    Test.contains(agent:run("2 + 3?"), "5")
    Test.equal(#add:calls(), 1)
    Test.equal(add:calls()[1][1], {a = 2, b = 3})
  end},
  {name = "sends the instructions first", fn = function()
    local model = Test.mock_model({"ok"})
    Agent.create{model = model, instructions = "Be brief."}:run("hi")
    local first = Test.mock_requests(model)[1][1]
    Test.equal(first.role, "system")
    Test.equal(first.parts[1].text, "Be brief.")
  end},
})

Test.suite("assertions", {
  nil_and_booleans = function()
    Test.is_nil(nil); Test.is_true(true); Test.is_false(false)
    Test.not_equal(1, 2)
  end,
  raises = function()
    Test.raises(function() error("bad input") end, "bad input")
  end,
})
