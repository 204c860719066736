/*
 * chat.c -- ChatML and Llama 3 prompt rendering (see chat.h).
 *
 * The strings are those the families' own templates produce (Qwen2.5's
 * tokenizer_config.json; Meta's Llama 3 template, which trims the content
 * and starts with <|begin_of_text|> -- left out here because the tokenizer
 * adds BOS itself).
 */
#include "model/chat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

chat_kind chat_detect(const char *tmpl)
{
    if (!tmpl)
        return CHAT_NONE;
    if (strstr(tmpl, "<|im_start|>"))
        return CHAT_CHATML;
    if (strstr(tmpl, "<|start_header_id|>"))
        return CHAT_LLAMA3;
    return CHAT_NONE;
}

const char *chat_kind_name(chat_kind k)
{
    switch (k) {
    case CHAT_NONE: return "none";
    case CHAT_CHATML: return "chatml";
    case CHAT_LLAMA3: return "llama3";
    }
    return "none";
}

as_err chat_format(char **out, chat_kind k, const chat_msg *msgs, int n, int add_assistant)
{
    *out = NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return as_fail(AS_ERR_NOMEM, "out of memory formatting a chat prompt");
    for (int i = 0; i < n; i++) {
        switch (k) {
        case CHAT_CHATML:
            fprintf(f, "<|im_start|>%s\n%s<|im_end|>\n", msgs[i].role, msgs[i].content);
            break;
        case CHAT_LLAMA3: {
            const char *c = msgs[i].content, *e = c + strlen(c);
            while (*c == ' ' || *c == '\n' || *c == '\t' || *c == '\r')
                c++;
            while (e > c && (e[-1] == ' ' || e[-1] == '\n' || e[-1] == '\t' || e[-1] == '\r'))
                e--;
            fprintf(f, "<|start_header_id|>%s<|end_header_id|>\n\n%.*s<|eot_id|>", msgs[i].role,
                    (int)(e - c), c);
            break;
        }
        case CHAT_NONE:
            fprintf(f, "%s%s", i ? "\n" : "", msgs[i].content);
            break;
        }
    }
    if (add_assistant && k == CHAT_CHATML)
        fputs("<|im_start|>assistant\n", f);
    if (add_assistant && k == CHAT_LLAMA3)
        fputs("<|start_header_id|>assistant<|end_header_id|>\n\n", f);
    if (fclose(f) != 0 || !buf) {
        free(buf);
        return as_fail(AS_ERR_NOMEM, "out of memory formatting a chat prompt");
    }
    *out = buf;
    return AS_OK;
}
