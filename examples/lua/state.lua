-- Scoped key-value state. With a grant it persists across runs:
-- llmkit run --allow-write=/tmp examples/lua/state.lua /tmp/llmkit-state.db
if ARGS[1] then State.open(ARGS[1]) end
local runs = State.get("runs", 0, "counter") + 1
State.set("runs", runs, "counter")
State.set("last", {when = "now", by = "state.lua"}, "counter")
print(("run number %d"):format(runs))
return State.keys("counter")
