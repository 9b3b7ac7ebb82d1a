#!/usr/bin/env python3
"""Writes a C header holding a file's bytes: embed.py INPUT OUTPUT NAME."""
import sys

data = open(sys.argv[1], "rb").read()
name = sys.argv[3]
with open(sys.argv[2], "w") as out:
    out.write("/* Generated from %s by embed.py: do not edit. */\n" % sys.argv[1].rsplit("/", 1)[-1])
    out.write("static const unsigned char %s[] = {\n" % name)
    for i in range(0, len(data), 16):
        out.write("  " + ", ".join("0x%02x" % b for b in data[i:i + 16]) + ",\n")
    out.write("};\n")
