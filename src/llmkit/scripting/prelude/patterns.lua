-- Lua pattern matching that a wall-time limit can interrupt.
--
-- The C matcher of string.find/match/gmatch/gsub backtracks inside one C call, where no
-- instruction hook runs: ("a*"):rep(30) .. "b" against ("a"):rep(30) takes hours. Each
-- call is priced first (subject length to the power of the quantifiers that can
-- backtrack); cheap calls go to C, the rest run here, in Lua, where the hook sees every
-- step. Same semantics as lstrlib.c (Lua 5.4).
local native, budget = ...
local byte, sub, char, len, format = string.byte, string.sub, string.char, string.len, string.format
local type, tostring, tointeger, error, select = type, tostring, math.tointeger, error, select
local log, huge = math.log, math.huge
local concat = table.concat

local CAP_UNFINISHED, CAP_POSITION, MAXCAPTURES = -1, -2, 32
local L_ESC, SPECIALS = 37, "^$*+?.([%-"

local function is_alpha(c) return (c >= 65 and c <= 90) or (c >= 97 and c <= 122) end
local function is_digit(c) return c >= 48 and c <= 57 end
local function is_space(c) return c == 32 or (c >= 9 and c <= 13) end
local function is_cntrl(c) return c < 32 or c == 127 end
local function is_punct(c)
  return (c >= 33 and c <= 47) or (c >= 58 and c <= 64) or (c >= 91 and c <= 96)
    or (c >= 123 and c <= 126)
end
local CLASSES = {
  [97] = is_alpha, [99] = is_cntrl, [100] = is_digit, [115] = is_space, [112] = is_punct,
  [103] = function(c) return c >= 33 and c <= 126 end,
  [108] = function(c) return c >= 97 and c <= 122 end,
  [117] = function(c) return c >= 65 and c <= 90 end,
  [119] = function(c) return is_alpha(c) or is_digit(c) end,
  [120] = function(c) return is_digit(c) or (c >= 97 and c <= 102) or (c >= 65 and c <= 70) end,
}

local function match_class(c, cl)
  local lower = cl
  if cl >= 65 and cl <= 90 then lower = cl + 32 end
  local test = CLASSES[lower]
  if not test then return cl == c end
  local result = test(c)
  if lower ~= cl then return not result end
  return result
end

local function class_end(ms, p)
  local pat = ms.pat
  local c = byte(pat, p); p = p + 1
  if c == L_ESC then
    if p > ms.plen then error("malformed pattern (ends with '%')", 0) end
    return p + 1
  elseif c == 91 then
    if byte(pat, p) == 94 then p = p + 1 end
    repeat
      if p > ms.plen then error("malformed pattern (missing ']')", 0) end
      local cc = byte(pat, p); p = p + 1
      if cc == L_ESC and p <= ms.plen then p = p + 1 end
    until byte(pat, p) == 93
    return p + 1
  end
  return p
end

local function match_bracket(ms, c, p, ec)
  local pat, sig = ms.pat, true
  if byte(pat, p + 1) == 94 then sig = false; p = p + 1 end
  p = p + 1
  while p < ec do
    local pc = byte(pat, p)
    if pc == L_ESC then
      p = p + 1
      if match_class(c, byte(pat, p)) then return sig end
    elseif byte(pat, p + 1) == 45 and p + 2 < ec then
      if pc <= c and c <= byte(pat, p + 2) then return sig end
      p = p + 2
    elseif pc == c then
      return sig
    end
    p = p + 1
  end
  return not sig
end

local function single_match(ms, s, p, ep)
  if s > ms.slen then return false end
  local c, pc = byte(ms.src, s), byte(ms.pat, p)
  if pc == 46 then return true
  elseif pc == L_ESC then return match_class(c, byte(ms.pat, p + 1))
  elseif pc == 91 then return match_bracket(ms, c, p, ep - 1)
  end
  return pc == c
end

local do_match

local function max_expand(ms, s, p, ep)
  local i = 0
  while single_match(ms, s + i, p, ep) do i = i + 1 end
  while i >= 0 do
    local res = do_match(ms, s + i, ep + 1)
    if res then return res end
    i = i - 1
  end
  return nil
end

local function min_expand(ms, s, p, ep)
  while true do
    local res = do_match(ms, s, ep + 1)
    if res then return res end
    if single_match(ms, s, p, ep) then s = s + 1 else return nil end
  end
end

local function start_capture(ms, s, p, what)
  local level = ms.level + 1
  if level > MAXCAPTURES then error("too many captures", 0) end
  ms.cinit[level], ms.clen[level], ms.level = s, what, level
  local res = do_match(ms, s, p)
  if not res then ms.level = ms.level - 1 end
  return res
end

local function end_capture(ms, s, p)
  local l
  for i = ms.level, 1, -1 do
    if ms.clen[i] == CAP_UNFINISHED then l = i; break end
  end
  if not l then error("invalid pattern capture", 0) end
  ms.clen[l] = s - ms.cinit[l]
  local res = do_match(ms, s, p)
  if not res then ms.clen[l] = CAP_UNFINISHED end
  return res
end

local function match_balance(ms, s, p)
  if p + 1 > ms.plen then error("malformed pattern (missing arguments to '%b')", 0) end
  if s > ms.slen or byte(ms.src, s) ~= byte(ms.pat, p) then return nil end
  local b, e, cont = byte(ms.pat, p), byte(ms.pat, p + 1), 1
  s = s + 1
  while s <= ms.slen do
    local c = byte(ms.src, s)
    if c == e then
      cont = cont - 1
      if cont == 0 then return s + 1 end
    elseif c == b then
      cont = cont + 1
    end
    s = s + 1
  end
  return nil
end

local function match_capture(ms, s, l)
  l = l - 48
  if l < 1 or l > ms.level or ms.clen[l] == CAP_UNFINISHED then
    error(format("invalid capture index %%%d", l), 0)
  end
  local n = ms.clen[l]
  local captured = sub(ms.src, ms.cinit[l], ms.cinit[l] + n - 1)
  if ms.slen - s + 1 >= n and sub(ms.src, s, s + n - 1) == captured then return s + n end
  return nil
end

do_match = function(ms, s, p)
  ms.depth = ms.depth - 1
  if ms.depth == 0 then error("pattern too complex", 0) end
  local pat, plen = ms.pat, ms.plen
  while true do
    if p > plen then break end
    local pc = byte(pat, p)
    if pc == 40 then
      if byte(pat, p + 1) == 41 then s = start_capture(ms, s, p + 2, CAP_POSITION)
      else s = start_capture(ms, s, p + 1, CAP_UNFINISHED) end
      break
    elseif pc == 41 then
      s = end_capture(ms, s, p + 1); break
    elseif pc == 36 and p == plen then
      if s ~= ms.slen + 1 then s = nil end
      break
    elseif pc == L_ESC and byte(pat, p + 1) == 98 then
      s = match_balance(ms, s, p + 2)
      if not s then break end
      p = p + 4
    elseif pc == L_ESC and byte(pat, p + 1) == 102 then
      p = p + 2
      if byte(pat, p) ~= 91 then error("missing '[' after '%f' in pattern", 0) end
      local ep = class_end(ms, p)
      local previous = s == 1 and 0 or byte(ms.src, s - 1)
      local current = s <= ms.slen and byte(ms.src, s) or 0
      if not match_bracket(ms, previous, p, ep - 1) and match_bracket(ms, current, p, ep - 1) then
        p = ep
      else
        s = nil; break
      end
    elseif pc == L_ESC and is_digit(byte(pat, p + 1) or 0) then
      s = match_capture(ms, s, byte(pat, p + 1))
      if not s then break end
      p = p + 2
    else
      local ep = class_end(ms, p)
      local epc = byte(pat, ep)
      if not single_match(ms, s, p, ep) then
        if epc == 42 or epc == 63 or epc == 45 then p = ep + 1
        else s = nil; break end
      elseif epc == 63 then
        local res = do_match(ms, s + 1, ep + 1)
        if res then s = res; break end
        p = ep + 1
      elseif epc == 43 then s = max_expand(ms, s + 1, p, ep); break
      elseif epc == 42 then s = max_expand(ms, s, p, ep); break
      elseif epc == 45 then s = min_expand(ms, s, p, ep); break
      else s = s + 1; p = ep end
    end
  end
  ms.depth = ms.depth + 1
  return s
end

local function new_state(s, p)
  return { src = s, slen = len(s), pat = p, plen = len(p), level = 0, cinit = {}, clen = {},
           depth = 200 }
end

local function reset(ms) ms.level = 0; ms.depth = 200 end

local function one_capture(ms, i, s, e)
  if i > ms.level then
    if i ~= 1 then error(format("invalid capture index %%%d", i), 0) end
    return sub(ms.src, s, e - 1)
  end
  local n = ms.clen[i]
  if n == CAP_UNFINISHED then error("unfinished capture", 0) end
  if n == CAP_POSITION then return ms.cinit[i] end
  return sub(ms.src, ms.cinit[i], ms.cinit[i] + n - 1)
end

local function captures(ms, s, e, whole)
  local n = ms.level
  if n == 0 and whole then return sub(ms.src, s, e - 1) end
  local out = {}
  for i = 1, n do out[i] = one_capture(ms, i, s, e) end
  return table.unpack(out, 1, n)
end

local function check_string(value, position, name)
  local kind = type(value)
  if kind == "string" then return value end
  if kind == "number" then return tostring(value) end
  error(format("bad argument #%d to '%s' (string expected, got %s)", position, name, kind), 3)
end

local function start_at(init, slen)
  init = tointeger(init or 1) or error("bad argument #3 (number has no integer representation)", 3)
  if init < 0 then init = slen + init + 1 end
  if init < 1 then init = 1 end
  return init
end

-- Price of a call: subject length ^ (quantifiers with pattern items after them, plus
-- one for every start position when unanchored). Cached per pattern.
local factors_of = setmetatable({}, { __mode = "k" })

local function count_factors(p)
  local ms = { pat = p, plen = len(p) }
  local i, count, anchored = 1, 0, false
  if byte(p, 1) == 94 then anchored = true; i = 2 end
  while i <= ms.plen do
    local c = byte(p, i)
    if c == 40 or c == 41 then
      i = i + 1
    elseif c == L_ESC and (byte(p, i + 1) == 98) then
      count = count + 1; i = i + 4
    elseif c == L_ESC and (byte(p, i + 1) == 102) then
      i = class_end(ms, i + 2)
    elseif c == L_ESC and is_digit(byte(p, i + 1) or 0) then
      count = count + 1; i = i + 2
    elseif c == 36 and i == ms.plen then
      i = i + 1
    else
      local ep = class_end(ms, i)
      local q = byte(p, ep)
      if q == 42 or q == 43 or q == 45 or q == 63 then
        local rest = ep + 1
        if rest <= ms.plen and not (rest == ms.plen and byte(p, rest) == 36) then
          count = count + 1
        end
        i = ep + 1
      else
        i = ep
      end
    end
  end
  return anchored and count or count + 1
end

local log_budget = log(budget)

local function cheap(s, p, init)
  local factors = factors_of[p]
  if factors == nil then
    local ok, counted = pcall(count_factors, p)
    factors = ok and counted or huge
    factors_of[p] = factors
  end
  local n = len(s) - init + 2
  return n <= 2 or factors * log(n) <= log_budget
end

local function plain(p)
  return not native.find(p, "[%^%$%*%+%?%.%(%[%%%-]")
end

local M = {}

local function find_aux(is_find, s, p, init, is_plain)
  local slen = len(s)
  init = start_at(init, slen)
  if init > slen + 1 then return nil end
  if is_find and (is_plain or plain(p)) then
    return native.find(s, p, init, true)
  end
  if cheap(s, p, init) then
    if is_find then return native.find(s, p, init) end
    return native.match(s, p, init)
  end
  local ms = new_state(s, p)
  local anchor, start = byte(p, 1) == 94, 1
  if anchor then start = 2 end
  local s1 = init
  repeat
    reset(ms)
    local e = do_match(ms, s1, start)
    if e then
      if is_find then return s1, e - 1, captures(ms, s1, e, false) end
      return captures(ms, s1, e, true)
    end
    s1 = s1 + 1
  until s1 > slen + 1 or anchor
  return nil
end

function M.find(s, p, init, is_plain)
  s, p = check_string(s, 1, "find"), check_string(p, 2, "find")
  return find_aux(true, s, p, init, is_plain)
end

function M.match(s, p, init)
  s, p = check_string(s, 1, "match"), check_string(p, 2, "match")
  return find_aux(false, s, p, init, false)
end

function M.gmatch(s, p, init)
  s, p = check_string(s, 1, "gmatch"), check_string(p, 2, "gmatch")
  local slen = len(s)
  local position = start_at(init, slen)
  if cheap(s, p, position) then return native.gmatch(s, p, init) end
  local ms, last = new_state(s, p), nil
  return function()
    local src = position
    while src <= slen + 1 do
      reset(ms)
      local e = do_match(ms, src, 1)
      if e and e ~= last then
        position, last = e, e
        return captures(ms, src, e, true)
      end
      src = src + 1
    end
    return nil
  end
end

local function add_value(ms, out, s, e, repl, kind)
  local value
  if kind == "function" then
    value = repl(captures(ms, s, e, true))
  elseif kind == "table" then
    value = repl[one_capture(ms, 1, s, e)]
  else
    local parts, i, rlen = {}, 1, len(repl)
    while i <= rlen do
      local c = byte(repl, i)
      if c == L_ESC then
        i = i + 1
        local d = byte(repl, i)
        if d == L_ESC then parts[#parts + 1] = "%"
        elseif d and is_digit(d) then
          if d == 48 then parts[#parts + 1] = sub(ms.src, s, e - 1)
          else parts[#parts + 1] = tostring(one_capture(ms, d - 48, s, e)) end
        else
          error("invalid use of '%' in replacement string", 0)
        end
      else
        parts[#parts + 1] = char(c)
      end
      i = i + 1
    end
    out[#out + 1] = concat(parts)
    return
  end
  if not value then
    out[#out + 1] = sub(ms.src, s, e - 1)
  elseif type(value) == "string" or type(value) == "number" then
    out[#out + 1] = tostring(value)
  else
    error("invalid replacement value (a " .. type(value) .. ")", 0)
  end
end

function M.gsub(s, p, repl, max_n)
  s, p = check_string(s, 1, "gsub"), check_string(p, 2, "gsub")
  local kind = type(repl)
  if kind == "number" then repl = tostring(repl); kind = "string" end
  if kind ~= "string" and kind ~= "table" and kind ~= "function" then
    error("bad argument #3 to 'gsub' (string/function/table expected, got " .. kind .. ")", 2)
  end
  if cheap(s, p, 1) then return native.gsub(s, p, repl, max_n) end
  local slen = len(s)
  local limit = max_n or slen + 1
  local ms, out, n, src, last = new_state(s, p), {}, 0, 1, nil
  local anchor, start = byte(p, 1) == 94, 1
  if anchor then start = 2 end
  while n < limit do
    reset(ms)
    local e = do_match(ms, src, start)
    if e and e ~= last then
      n = n + 1
      add_value(ms, out, src, e, repl, kind)
      src, last = e, e
    elseif src <= slen then
      out[#out + 1] = sub(s, src, src); src = src + 1
    else
      break
    end
    if anchor then break end
  end
  out[#out + 1] = sub(s, src)
  return concat(out), n
end

return M
