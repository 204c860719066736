# exposure.lex -- the sign of the move an AI-efficiency announcement implies
# for each ticker.  Format: ticker | direction | reason
#   direction  negative, positive or neutral
# The rule: cheaper AI training and inference lower the compute, memory,
# servers and power needed per unit of AI, so the names that sell them are
# negative; a heavy buyer of compute whose own products get cheaper to run is
# positive; the cloud platforms, which both sell and buy compute, are neutral.

NVDA | negative | sells the data-center GPUs whose demand per unit of AI falls
AVGO | negative | custom AI accelerators and data-center networking
TSM | negative | manufactures nearly all leading AI accelerators
ASML | negative | lithography for the leading-edge fabs that make AI chips
AMD | negative | data-center GPUs
MU | negative | high-bandwidth memory for AI accelerators
SMCI | negative | AI servers
ARM | negative | CPU designs and royalties tied to data-center build-out
VST | negative | power generation sold to data centers
CEG | negative | nuclear power contracted to data centers
ORCL | negative | builds and rents AI data-center capacity
MSFT | neutral | sells AI compute (Azure) and buys it for its own products
GOOGL | neutral | sells AI compute (Google Cloud) and buys it for its own products
AMZN | neutral | sells AI compute (AWS) and buys it for its own products
META | positive | buys AI compute for its own products and ships open-weight models
