#!/usr/bin/python3
"""eml_extract.py -- parse a received message with Python's email package
(the independent MIME reader of the mail tests).

  /usr/bin/python3 eml_extract.py FILE.eml OUTDIR

Writes each attachment's decoded bytes to OUTDIR/<filename> and prints JSON:
{"subject", "from", "to", "content_type", "body", "attachments":
[{"filename", "content_type", "path", "size"}]}.
"""
import email
import email.policy
import json
import os
import sys


def main():
    path, outdir = sys.argv[1], sys.argv[2]
    with open(path, "rb") as f:
        msg = email.message_from_binary_file(f, policy=email.policy.default)
    doc = {"subject": msg["subject"], "from": msg["from"], "to": msg["to"],
           "content_type": msg.get_content_type(), "body": None, "attachments": []}
    body = msg.get_body(preferencelist=("plain",))
    if body is not None:
        doc["body"] = body.get_content()
    for part in msg.iter_attachments():
        data = part.get_payload(decode=True)
        name = os.path.basename(part.get_filename() or "unnamed")
        out = os.path.join(outdir, name)
        with open(out, "wb") as f:
            f.write(data)
        doc["attachments"].append({"filename": name, "content_type": part.get_content_type(),
                                   "path": out, "size": len(data)})
    json.dump(doc, sys.stdout)


if __name__ == "__main__":
    main()
