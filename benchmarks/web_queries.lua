-- wrk script: cycle through different questions, so no request repeats the one before.
-- Use: wrk -t2 -c16 -d10s -s benchmarks/web_queries.lua http://127.0.0.1:8000/search
-- (the URL's path is the endpoint: /search, /ask, /api/v1/search or /api/v1/ask)
local questions = {
  "leg cramps", "diabetes symptoms", "glaucoma treatment", "high blood pressure in pregnancy",
  "what is asthma", "heartburn", "how is breast cancer diagnosed", "causes of anemia",
  "can I exercise when pregnant", "migraine", "kidney stones pain", "hot flushes",
  "what are the signs of a stroke", "thyroid", "period pain relief", "is eczema contagious",
}
local n = 0
request = function()
  n = n + 1
  local q = questions[(n % #questions) + 1]:gsub(" ", "+")
  return wrk.format("GET", wrk.path .. "?q=" .. q)
end
