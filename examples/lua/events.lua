-- Script event handlers: llmkit run examples/lua/events.lua
local counts = {}
local sub = Event.on("order.*", function(event)
  counts[event.name] = (counts[event.name] or 0) + 1
end)
Event.on("order.placed", function(event)
  print(("big order: %d items"):format(event.payload.items))
end, {field = "payload.items", op = "gt", value = 10})
Event.emit("order.placed", {items = 3})
Event.emit("order.placed", {items = 12})
Event.emit("order.shipped", {items = 12})
sub:off()
Event.emit("order.placed", {items = 1})  -- no longer counted
return counts
