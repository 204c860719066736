# phrases.en.lex -- English phrases that signal an AI-efficiency announcement.
# Format: weight | phrase   (see README.md; weights are points on the 0..100
# score, each phrase counts once per item, an item scoring >= 50 is an
# announcement).  Overlapping phrases both count ("cheaper ai model" also
# contains "cheaper ai"): the longer, more specific wording earns more.

# Cheaper or faster training and inference
35 | cheaper ai
30 | cheap ai
30 | low cost ai
30 | lower cost
35 | fraction of the cost
30 | training cost*
25 | inference cost*
25 | cost to train
15 | to train
15 | cost $#
20 | faster inference
15 | efficien*
20 | cheaper
20 | small model*
20 | smaller model*
25 | open model*
25 | single gpu
20 | on a laptop
10 | parameters
20 | larger rival*
25 | beat* gpt*
15 | outperform*
10 | inference
10 | reasoning
15 | #% below
# v4: the same concepts in the wordings v3 missed on the tuning set (g03
# "priced 60% below", g04 "small ... beats much larger rivals", g06 "costs
# 1% of GPT-4.5") and their ordinary variants; each is weak alone and needs
# a second signal (a lab, a model, a number) to pass 50.
20 | priced #% below
25 | #% cheaper
25 | costs #% of
30 | #% of the cost
30 | fraction of the price
20 | fraction of the
30 | cheapest
15 | cheapest model*
20 | much larger
20 | mixture of experts
20 | on a single
20 | h100*
20 | 1 bit
20 | quantiz*
# Claims with numbers: "2,048 H800s for $5.6M"
30 | # h800*
25 | h800*
30 | # h100*
25 | $#m
25 | $# million
30 | per m tokens
30 | per million tokens
# API price cuts
35 | price cut*
35 | cuts price*
35 | cut* the price*
35 | slash* price*
25 | api price*
# v4: price-cut wordings beside "price cut"
30 | lower price*
30 | lowers price*
30 | lower pricing
30 | lowers pricing
25 | api pricing
30 | price war*
25 | model prices
30 | halve* price*
30 | halve* api price*
25 | undercut*
# Distillation and open weights
30 | distill*
30 | open weight*
25 | open source*
25 | open sourced
20 | model weights
15 | mit license
# Rivals matching frontier models
25 | crushed openai
25 | beats openai
25 | rivals openai
25 | rival* gpt*
25 | match* gpt*
25 | rival* o1*
25 | match* o1*
25 | matches openai
20 | on par with
15 | openai o1
15 | the performance of
20 | o1 level
20 | reasoning model*
25 | chinese ai
35 | chinese ai startup
20 | ai breakthrough
10 | ai model
# Market reaction: weak alone, decisive next to a lab's name
15 | sell off
15 | selloff
15 | rout
15 | shock*
15 | plunge*
15 | plummet*
15 | tumbl*
15 | slump*
15 | slide*
15 | tanks
15 | mauling
15 | hits tech shares
15 | under pressure
15 | ai bubble
10 | panic
20 | demand doubts
10 | market value
15 | evaporat*
# Ordinary business news: counter-evidence
-25 | quarterly revenue
-25 | earnings
-20 | revenue forecast
-20 | beats estimates
-20 | beat estimates
-25 | funding round
-30 | privacy
-30 | data protection
-30 | security concerns
-25 | exposed
-25 | leak*
-20 | capex
-20 | capital spending
-25 | demand soars
-20 | strong ai chip orders
-20 | dividend*
-20 | graphics cards
-20 | interest rates
