# phrases.zh.lex -- Chinese phrases (the DeepSeek-R1 announcement was
# published in Chinese).  Format: weight | phrase   (README.md).  Chinese has
# no spaces, so these match inside runs of characters.

25 | 开源
20 | 模型权重
30 | 蒸馏
30 | 低成本
30 | 降价
25 | 训练成本
25 | 推理成本
15 | 性价比
10 | 正式发布
