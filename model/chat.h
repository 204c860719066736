/*
 * chat.h -- the chat prompt formats of the common model families, chosen by
 * looking at the Jinja text in tokenizer.chat_template.
 *
 * We do not run Jinja: each family's template renders to a fixed pattern,
 * which is written out here (ChatML for Qwen, the header/eot format of
 * Llama 3).  A template we do not recognise gives CHAT_NONE and the caller
 * uses the plain prompt.
 */
#ifndef AS_CHAT_H
#define AS_CHAT_H

#include "common/error.h"

typedef enum chat_kind { CHAT_NONE, CHAT_CHATML, CHAT_LLAMA3 } chat_kind;

typedef struct chat_msg {
    const char *role;    /* "system", "user", "assistant" */
    const char *content;
} chat_msg;

chat_kind chat_detect(const char *tmpl); /* tmpl may be NULL */
const char *chat_kind_name(chat_kind k);
/* The prompt text for msgs, ending with the assistant's opening when
 * add_assistant.  *out is heap; caller frees. */
as_err chat_format(char **out, chat_kind k, const chat_msg *msgs, int n, int add_assistant);

#endif
