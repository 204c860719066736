# entities.lex -- who a story is about.
# Format: name | kind | weight | tickers | aliases
#   kind     lab (an AI developer or model family, no ticker of its own here),
#            company (one ticker) or group (a sector phrase, several tickers)
#   weight   points added to the score once when any alias occurs
#   tickers  space-separated symbols, '-' for none
#   aliases  ';'-separated patterns; a leading '=' matches case-sensitively
#            (ticker symbols and short names that are also English words)
# A lab's weight says how strongly its name alone points to an efficiency
# story in this period: DeepSeek's whole news flow in January 2025 was about
# training cost.  "R1" and "V3" are its model names; case-sensitive so that
# "r1" in other words does not count.

DeepSeek | lab | 40 | - | deepseek; 深度求索; =R1; =V3
OpenAI | lab | 10 | - | openai; chatgpt
Alibaba Qwen | lab | 20 | - | qwen
Mistral AI | lab | 20 | - | mistral ai; =Mistral
Moonshot AI | lab | 15 | - | moonshot ai; =Kimi
ByteDance Doubao | lab | 15 | - | bytedance; doubao
Meta Llama | lab | 15 | - | =Llama
Google Gemini | lab | 15 | - | =Gemini; =Gemma
Baidu Ernie | lab | 15 | - | baidu; =Ernie
Microsoft Phi | lab | 10 | - | =Phi
Anthropic | lab | 5 | - | anthropic; =Claude

NVIDIA | company | 0 | NVDA | nvidi*; =NVDA; 英伟达
Broadcom | company | 0 | AVGO | broadcom; =AVGO
TSMC | company | 0 | TSM | tsmc; taiwan semiconductor; =TSM; 台积电
ASML | company | 0 | ASML | asml
AMD | company | 0 | AMD | =AMD; advanced micro devices
Micron | company | 0 | MU | micron
Super Micro | company | 0 | SMCI | super micro; supermicro; =SMCI
Arm Holdings | company | 0 | ARM | arm holdings; =Arm; =ARM
Vistra | company | 0 | VST | vistra; =VST
Constellation Energy | company | 0 | CEG | constellation energy; =CEG
Microsoft | company | 0 | MSFT | microsoft; =MSFT
Alphabet | company | 0 | GOOGL | alphabet; google; =GOOGL; =Gemini
Meta Platforms | company | 0 | META | meta platforms; =Meta; =META
Amazon | company | 0 | AMZN | amazon; =AWS; =AMZN
Oracle | company | 0 | ORCL | oracle; =ORCL

chip stocks | group | 5 | NVDA AVGO TSM ASML AMD MU SMCI ARM | chip stocks; chip shares; chipmakers; chip makers; semiconductor stocks; akcj* producentów chipów; producenci półprzewodników; spółk* półprzewodnikow*; 芯片股
power stocks | group | 5 | VST CEG | power stocks; power providers; nuclear power; spółk* energetyczn*; akcj* spółek energetycznych
tech shares | group | 0 | NVDA AVGO TSM ASML AMD MU SMCI ARM MSFT GOOGL META AMZN ORCL | tech shares; tech stocks; big tech; spółk* technologiczn*; spółek technologicznych
