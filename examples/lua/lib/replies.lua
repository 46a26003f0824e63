-- A module the examples `require`: loaded as text from the script's folder, sandboxed.
local M = {}

M.sample = [[
Sure! Here is what I found:
```json
{"city": "Lyon", "population": "522250",}
```
Let me know if you need more.
]]

return M
