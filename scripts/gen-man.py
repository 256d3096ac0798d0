#!/usr/bin/env python3
"""gen-man.py BINARY OUT VERSION - weft(7), the server flags every weft
program shares, from the binary's own --help, so the page cannot drift
from the flags the code parses."""
import re
import subprocess
import sys

binary, out, version = sys.argv[1:4]
import os
env = dict(os.environ, ASAN_OPTIONS='detect_leaks=0')  # a sanitizer build's --help
r = subprocess.run([binary, '--help'], capture_output=True, text=True, env=env)
text = r.stdout + r.stderr
m = re.search(r'weft server options:\n(.*?)(\n\n|\Z)', text, re.S)
if not m:
    sys.exit('gen-man: no "weft server options:" in %s --help' % binary)
flags = []
for line in m.group(1).splitlines():
    f = re.match(r'\s+(--\S+)\s+(.*)', line)
    if f:
        flags.append(f.groups())
    elif flags:  # a description that wrapped
        flags[-1] = (flags[-1][0], flags[-1][1] + ' ' + line.strip())


def esc(s):
    return s.replace('\\', '\\e').replace('-', '\\-')


page = ['.TH WEFT 7 "" "weft %s" "weft"' % version,
        '.SH NAME',
        'weft \\- the command-line flags every weft program takes',
        '.SH SYNOPSIS',
        '.I program',
        '[\\fIweft flags\\fR] [\\fIthe program\'s own flags\\fR]',
        '.SH DESCRIPTION',
        'A program built on weft parses these flags in weft_app_new(); '
        'it may add flags of its own (weft_app_opt_int, weft_app_opt_str), '
        'listed after these by its \\fB\\-\\-help\\fR. A flag takes its value '
        'as the next argument. The port may also come from \\fB$PORT\\fR and '
        'the I/O engine from \\fB$WEFT_IO\\fR.',
        '.SH OPTIONS']
for flag, desc in flags:
    page += ['.TP', '.B ' + esc(flag), esc(desc)]
page += ['.SH SIGNALS',
         '.TP', '.B SIGTERM, SIGINT',
         'Drain: stop accepting, finish requests in flight (up to \\-\\-shutdown\\-grace), exit 0.',
         '.TP', '.B SIGHUP',
         'Read the TLS certificates again; with \\-\\-processes, start a new set of workers.',
         '.TP', '.B SIGUSR2',
         'With \\-\\-processes: execute the binary again in place, keeping the sockets.',
         '.SH SEE ALSO',
         'The guide (docs/guide.md) and the API reference (make docs) in the weft sources.']
open(out, 'w').write('\n'.join(page) + '\n')
